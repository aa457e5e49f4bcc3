"""`station purge`: apply the retention periods of [retention]."""

from __future__ import annotations

import argparse
import dataclasses

from station.cli.context import Context


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "purge", help="anonymise movement logs past retention, forget stale visitors"
    )
    parser.add_argument(
        "--central",
        action="store_true",
        help="purge the central registry (every site) instead of the site",
    )
    parser.set_defaults(handler=run_purge)


def run_purge(args: argparse.Namespace, ctx: Context) -> int:
    from sqlalchemy.orm import Session

    from station.db import open_database
    from station.privacy import purge

    config = ctx.config
    retention = config.retention
    if args.central:
        engine = open_database(config.resolve_url(config.central.url), "central registry")
        try:
            with Session(engine) as session, session.begin():
                result = purge(
                    session,
                    None,
                    retention.movement_days,
                    retention.visitor_days,
                    uploaded_only=False,
                )
        finally:
            engine.dispose()
    else:
        with ctx.session() as session:
            # Only what central already holds: a purge never loses an unsent event.
            result = purge(session, config.site.id, retention.movement_days, retention.visitor_days)
    ctx.output_one(dataclasses.asdict(result))
    return 0
