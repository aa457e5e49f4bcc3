"""Where `station report` reads its figures: the site database, or with `--central` the
central registry's tallies (every site, or `--site ID`)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from station.aggregates import people_since
from station.cli.context import Context
from station.errors import StationError

if TYPE_CHECKING:
    from sqlalchemy import Connection


@dataclass(frozen=True)
class Source:
    connection: Connection
    site: str | None  # None: every site of central
    raw_since: dt.date | None  # the first day whose rows still name their people


def add_source_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--central",
        action="store_true",
        help="read the central registry's tallies (every site, or --site) instead of the site",
    )
    parser.add_argument("--site", metavar="ID", help="with --central: only this site")


@contextmanager
def reading(args: argparse.Namespace, ctx: Context) -> Iterator[Source]:
    """The database to read, in a transaction rolled back at the end (reports write
    nothing), and which site's figures to read there."""
    config = ctx.config
    if not args.central:
        if args.site not in (None, config.site.id):
            raise StationError(
                f"the site database holds {config.site.id}'s figures only: "
                f"--site {args.site} needs --central"
            )
        with ctx.session() as session:
            connection = session.connection()
            yield Source(connection, config.site.id, people_since(connection, config.site.id))
        return
    from station.db import open_database

    engine = open_database(config.resolve_url(config.central.url), "central registry")
    try:
        with engine.connect() as connection:
            yield Source(connection, args.site, people_since(connection, args.site))
    finally:
        engine.dispose()
