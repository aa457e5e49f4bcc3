"""`station purge`: apply the retention periods of [retention] (sync does it daily)."""

from __future__ import annotations

import argparse

from station.cli.context import Context


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser(
        "purge",
        help="delete movement logs past retention (the figures stay), forget stale visitors",
    )
    parser.add_argument(
        "--central",
        action="store_true",
        help="purge the central registry (every site) instead of the site",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="print what a purge would remove, change nothing",
    )
    parser.set_defaults(handler=run_purge)


def run_purge(args: argparse.Namespace, ctx: Context) -> int:
    from zoneinfo import ZoneInfo

    from station.db import open_database, utcnow
    from station.retention import purge
    from sync import central

    config = ctx.config
    retention = config.retention
    zone, now = ZoneInfo(config.site.timezone), utcnow()
    if args.central:
        engine = open_database(config.resolve_url(config.central.url), "central registry")
        try:
            # Revisions on what it writes: an erased visitor's tombstones reach the sites.
            with central.session(engine) as session:
                result = purge(
                    session,
                    None,
                    retention.movement_days,
                    retention.visitor_days,
                    now=now,
                    zone=zone,
                    uploaded_only=False,
                    dry_run=args.dry_run,
                )
        finally:
            engine.dispose()
    else:
        with ctx.session() as session:
            # Only what central already holds: a purge never loses an unsent event.
            result = purge(
                session,
                config.site.id,
                retention.movement_days,
                retention.visitor_days,
                zone=zone,
                now=now,
                dry_run=args.dry_run,
            )
    ctx.output_one(result.counts() | ({"dry_run": True} if args.dry_run else {}))
    return 0
