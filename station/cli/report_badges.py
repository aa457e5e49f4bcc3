"""`station report badges [--days N] [--central] [--site ID]`: how many badges are secure,
who is secure-only, and the secure-badge policy's refusals (station.reports.badges)."""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from station.cli.context import Context
from station.cli.report_source import add_source_arguments, reading


def register_badges(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser(
        "badges", help="badges by kind (plain UID, secure), secure-only people, refusals"
    )
    sub.add_argument(
        "--days",
        type=int,
        default=30,
        metavar="N",
        help="count the refusals of the last N days (default 30; 0: every event held)",
    )
    add_source_arguments(sub)
    sub.set_defaults(handler=run_badges)


def run_badges(args: argparse.Namespace, ctx: Context) -> int:
    from station.reports.badges import badge_figures

    if args.days < 0:
        from station.errors import InvalidInput

        raise InvalidInput(f"--days must be 0 or more, got {args.days}")
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=args.days) if args.days else None
    with reading(args, ctx) as source:
        figures = badge_figures(source.connection, since, source.site)
    record: dict[str, Any] = {}
    for kind in figures.kinds:
        record[f"{kind.kind}_badges"] = kind.active
        record[f"{kind.kind}_holders"] = kind.holders
    record["secure_only_people"] = figures.secure_only
    record["secure_only_without_secure_badge"] = figures.secure_only_without_secure
    for reason, count in figures.refusals.items():
        record[f"denied_{reason.value}"] = count
    ctx.output_one(record)
    return 0
