"""`station report skills|companies`: the operator's measures of return.

The same options and formats as `station report entries|usage` (`station.cli.report`
hands over its writer and its default range, so this module needs nothing of it), and the
same sources: the site database, or central's with `--central` (`--site`, `--by site`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable
from zoneinfo import ZoneInfo

from station.cli.context import Context
from station.cli.report_options import (
    UsageError,
    Writer,
    add_output_options,
    add_range_options,
    checked_dimensions,
    chosen_format,
    names,
    publish_and_write,
)
from station.cli.report_source import add_source_arguments, reading
from station.errors import StationError
from station.reports.outcomes import (
    COMPANY_DIMENSIONS,
    SKILL_DIMENSIONS,
    SPLITS,
    companies_table,
    measures_for,
    skills_table,
)
from station.reports.table import COMPANY_MEASURES, Report, ReportTable

FirstDay = Callable[[dt.date, list[str]], dt.date]
_HELP = {
    Report.SKILLS: "skills gained: trainings granted, digital-help accompaniments and the "
    "people helped, skills recorded",
    Report.COMPANIES: "companies created, by year and hosting offer",
}
_DEFAULT_BY = {Report.SKILLS: "month", Report.COMPANIES: "year"}
_DIMENSIONS = {Report.SKILLS: SKILL_DIMENSIONS, Report.COMPANIES: COMPANY_DIMENSIONS}


def register_outcomes(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    *,
    write: Writer,
    first_day: FirstDay,
) -> None:
    for report in (Report.SKILLS, Report.COMPANIES):
        dims = ", ".join(_DIMENSIONS[report])
        sub = commands.add_parser(report.value, help=_HELP[report])
        add_range_options(sub, default_range="12 months by month, 5 years by year, else 30 days")
        sub.add_argument(
            "--by",
            default=_DEFAULT_BY[report],
            help=f"comma-separated dimensions among {dims}"
            + (" (one of training, purpose, skill)" if report is Report.SKILLS else ""),
        )
        sub.add_argument("--measure", help="comma-separated columns (default: all)")
        add_output_options(sub)
        add_source_arguments(sub)
        sub.set_defaults(
            handler=lambda args, ctx, r=report: _run(r, args, ctx, write, first_day),
            tally=report.value,
        )


def _run(
    report: Report, args: argparse.Namespace, ctx: Context, write: Writer, first_day: FirstDay
) -> int:
    try:
        dims = dimensions(report, args.by)
        measures = _measures(report, dims, args.measure)
    except UsageError as exc:
        print(f"station: {exc}", file=sys.stderr)
        return 2
    fmt = chosen_format(args, ctx)
    zone = ZoneInfo(ctx.config.site.timezone)
    last = args.end or dt.datetime.now(zone).date()
    first = args.start or first_day(last, dims)
    if first > last:
        raise StationError(f"--from {first} is after --to {last}")
    table = _compute(report, dims, first, last, args, ctx).with_measures(measures)
    return publish_and_write(table, fmt, args, ctx, write)


def dimensions(report: Report, text: str) -> list[str]:
    dims = checked_dimensions(report, text, _DIMENSIONS[report])
    splits = [d for d in dims if d in SPLITS]
    if len(splits) > 1:
        raise UsageError(
            f"skills split by one of training, purpose or skill (each applies to its own "
            f"counts), not {', '.join(splits)}"
        )
    return dims


def _measures(report: Report, dims: list[str], text: str | None) -> tuple[str, ...]:
    allowed: tuple[str, ...] = measures_for(dims) if report is Report.SKILLS else COMPANY_MEASURES
    if text is None:
        return allowed
    given = names(text)
    unknown = [m for m in given if m not in allowed]
    if unknown or not given:
        by = f" by {', '.join(dims)}" if dims else ""
        raise UsageError(
            f"unknown measure {', '.join(unknown) or '(none)'} for {report}{by}; "
            f"expected among {', '.join(allowed)}"
        )
    return tuple(dict.fromkeys(given))


def _compute(
    report: Report,
    dims: list[str],
    first: dt.date,
    last: dt.date,
    args: argparse.Namespace,
    ctx: Context,
) -> ReportTable:
    config = ctx.config
    with reading(args, ctx) as source:
        if report is Report.COMPANIES:
            return companies_table(source.connection, source.site, first, last, dims)
        # At central too, digital help is what this configuration says it is.
        return skills_table(
            source.connection,
            source.site,
            first,
            last,
            dims,
            ZoneInfo(config.site.timezone),
            digital_help=[p.id for p in config.purposes if p.digital_help],
            raw_since=source.raw_since,
        )
