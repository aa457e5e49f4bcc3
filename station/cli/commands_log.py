"""`station commands log [--agent ID] [--since WHEN] [--central]`: who sent which
command to which agent, and whether it was applied."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from station.cli.context import Context
from station.commands_log import DEFAULT_LIMIT, command_log

if TYPE_CHECKING:
    from station.commands_log import LoggedCommand

COLUMNS = ["when", "agent", "command", "outcome", "author", "device", "reason"]


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("commands", help="the log of commands sent to agents")
    commands = parser.add_subparsers(dest="commands_command", metavar="ACTION", required=True)
    log = commands.add_parser("log", help="commands as their agents reported them, oldest first")
    log.add_argument("--agent", metavar="ID", help="only this agent's commands")
    log.add_argument(
        "--since",
        type=_when,
        metavar="WHEN",
        help="from this date or date and time on (ISO 8601; the site's time unless it says)",
    )
    log.add_argument(
        "--limit", type=int, default=DEFAULT_LIMIT, help="at most this many, the latest"
    )
    log.add_argument(
        "--central",
        action="store_true",
        help="read the central registry (every site) instead of the site",
    )
    log.set_defaults(handler=run_log)


def _when(text: str) -> dt.datetime:
    """A date (its midnight) or a date and time; naive ones are given a zone later."""
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or date and time: {text!r}") from None


def run_log(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    zone = ZoneInfo(config.site.timezone)
    since: dt.datetime | None = args.since
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=zone)
    query: dict[str, Any] = {"agent": args.agent, "since": since, "limit": args.limit}
    if args.central:
        from sqlalchemy.orm import Session

        from station.db import open_database

        engine = open_database(config.resolve_url(config.central.url), "central registry")
        try:
            with Session(engine) as session:
                entries = command_log(session, site=None, **query)
        finally:
            engine.dispose()
    else:
        with ctx.session() as session:
            entries = command_log(session, site=config.site.id, **query)
    columns = ["site", *COLUMNS] if args.central else COLUMNS
    title = "commands: every site" if args.central else f"{config.site.name}: commands"
    ctx.output([_row(entry, zone) for entry in entries], columns, title=title)
    return 0


def _row(entry: LoggedCommand, zone: ZoneInfo) -> dict[str, Any]:
    outcome = "applied" if entry.applied else f"refused: {entry.outcome}"
    if entry.detail and not entry.applied:
        outcome += f" ({entry.detail})"
    author = entry.author
    return {
        "when": entry.at.astimezone(zone).isoformat(sep=" ", timespec="seconds"),
        "site": entry.site,
        "agent": entry.agent,
        "command": entry.command or "?",
        "outcome": outcome,
        "author": "—" if author is None else author.name,  # no author could be trusted
        "device": "" if author is None else author.device,
        "member": None if author is None or author.member is None else author.member,
        "reason": entry.why,
        "command_id": entry.command_id,
    }
