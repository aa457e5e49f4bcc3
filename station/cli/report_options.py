"""What every `station report` subcommand shares: its options, the names it checks,
and the last steps (the format chosen, `--publish`, the writer)."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from station.cli.context import Context
from station.errors import StationError
from station.reports.table import PERIODS, ReportTable
from station.reports.words import Lang

FORMATS = ("table", "csv", "xlsx", "json", "png", "svg")
FILE_FORMATS = frozenset({"xlsx", "png", "svg"})
Writer = Callable[[ReportTable, str, argparse.Namespace, Context], None]


class UsageError(Exception):
    """A name the user gave is not one of those allowed: exit status 2, as argparse's."""


def add_range_options(sub: argparse.ArgumentParser, *, default_range: str) -> None:
    sub.add_argument(
        "--from",
        dest="start",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help=f"first day (default: {default_range})",
    )
    sub.add_argument(
        "--to",
        dest="end",
        type=dt.date.fromisoformat,
        metavar="YYYY-MM-DD",
        help="last day, included (default: today)",
    )


def add_output_options(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--format", choices=FORMATS, default="table")
    sub.add_argument("--output", type=Path, help="file to write (required for xlsx, png, svg)")
    sub.add_argument("--excel", action="store_true", help="csv: ';' separator and decimal commas")
    sub.add_argument("--lang", choices=[lang.value for lang in Lang], default=Lang.FR.value)
    sub.add_argument(
        "--publish",
        action="store_true",
        help="statistical confidentiality: cells under 5 people hidden, and their complements",
    )


def names(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def checked_dimensions(report: str, text: str, allowed: Sequence[str]) -> list[str]:
    """The `--by` names, each allowed, at most one period; else `UsageError`."""
    dims = names(text)
    unknown = [d for d in dims if d not in allowed]
    if unknown:
        raise UsageError(
            f"cannot report {report} by {', '.join(unknown)}; expected among {', '.join(allowed)}"
        )
    periods = [d for d in dims if d in PERIODS]
    if len(periods) > 1:
        raise UsageError(
            f"tally by one period at most (day, week, month, quarter or year), "
            f"not {', '.join(periods)}"
        )
    return dims


def chosen_format(args: argparse.Namespace, ctx: Context) -> str:
    fmt: str = "json" if ctx.json_output else args.format
    if fmt in FILE_FORMATS and args.output is None:
        raise StationError(f"--format {fmt} needs --output FILE.{fmt}")
    return fmt


def publish_and_write(
    table: ReportTable, fmt: str, args: argparse.Namespace, ctx: Context, write: Writer
) -> int:
    if args.publish:
        from station.reports.publish import publish

        try:
            table = publish(table)
        except ValueError as exc:
            raise StationError(str(exc)) from None
    write(table, fmt, args, ctx)
    return 0
