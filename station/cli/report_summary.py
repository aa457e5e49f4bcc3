"""`station report summary --year YYYY [--to DAY] [--site ID] [--central] --output
FILE.html [--lang fr|en] [--no-publish]`: the year's activity on one self-contained HTML
page."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

from station.cli.context import Context
from station.cli.report_source import add_source_arguments, reading
from station.errors import StationError
from station.reports.labels import Labels
from station.reports.words import Lang


def register_summary(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    sub = commands.add_parser(
        "summary", help="the year's activity report for funders: one HTML page, printable"
    )
    sub.add_argument("--year", type=int, required=True, metavar="YYYY")
    sub.add_argument(
        "--to",
        dest="end",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="figures up to this day (default: today while the year runs, else its end)",
    )
    sub.add_argument("--output", type=Path, required=True, help="the page to write (FILE.html)")
    sub.add_argument("--lang", choices=[lang.value for lang in Lang], default=Lang.FR.value)
    sub.add_argument(
        "--publish",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="statistical confidentiality, on by default: cells under 5 people hidden, "
        "and their complements (--no-publish for internal figures)",
    )
    add_source_arguments(sub)
    sub.set_defaults(handler=run_summary)


def run_summary(args: argparse.Namespace, ctx: Context) -> int:
    from station.reports.summary import summary_tables, write_summary

    config = ctx.config
    zone = ZoneInfo(config.site.timezone)
    today = args.end or dt.datetime.now(zone).date()
    with reading(args, ctx) as source:
        try:
            tables = summary_tables(
                source.connection,
                source.site,
                args.year,
                today,
                zone,
                raw_since=source.raw_since,
                published=args.publish,
                digital_help=[p.id for p in config.purposes if p.digital_help],
            )
        except ValueError as exc:
            raise StationError(str(exc)) from None
    write_summary(tables, Labels.from_config(config, Lang(args.lang)), args.output)
    return 0
