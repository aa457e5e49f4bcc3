"""`station db upgrade`: create or migrate the site database, then seed it from config."""

from __future__ import annotations

import argparse

from station.cli.context import Context


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("db", help="database schema")
    commands = parser.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = commands.add_parser("upgrade", help="create or migrate to the latest schema")
    upgrade.add_argument("--url", help="database URL (default: [database].url from config)")
    upgrade.add_argument(
        "--central",
        action="store_true",
        help="upgrade the central registry ([central].url) instead",
    )
    upgrade.add_argument(
        "--no-seed",
        action="store_true",
        help="do not write the site's trainings, resources and hours",
    )
    upgrade.set_defaults(handler=run_upgrade)


def run_upgrade(args: argparse.Namespace, ctx: Context) -> int:
    import logging

    from sqlalchemy.orm import Session

    from station.db import current_revision, make_engine, upgrade
    from station.seed import seed_site

    config = ctx.config
    url = args.url or config.resolve_url(
        config.central.url if args.central else config.database.url
    )
    # One line per migration run, even from this otherwise quiet command.
    logging.getLogger("station.migrations").setLevel(logging.INFO)
    upgrade(url)
    if not args.no_seed:
        engine = make_engine(url)
        try:
            with Session(engine) as session, session.begin():
                seed_site(session, config)
        finally:
            engine.dispose()
    revision = current_revision(url)
    if ctx.json_output:
        ctx.output_one({"url": _hide_password(url), "revision": revision})
    else:
        ctx.console.print(f"Database {_hide_password(url)} is at revision {revision}.")
    return 0


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
