"""`station report entries|usage --from --to --by ... --measure ... --format ... [--publish]`.

Formats: table (the terminal), csv (UTF-8 with a byte-order mark; `--excel`: `;` and
decimal commas), json, xlsx, png and svg (charts); `--lang en` for English labels.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from zoneinfo import ZoneInfo

from station.cli.context import Context
from station.cli.report_badges import register_badges
from station.cli.report_options import (
    UsageError,
    add_output_options,
    add_range_options,
    checked_dimensions,
    chosen_format,
    names,
    publish_and_write,
)
from station.cli.report_outcomes import register_outcomes
from station.cli.report_source import add_source_arguments, reading
from station.cli.report_summary import register_summary
from station.errors import StationError
from station.reports.asked import figures
from station.reports.labels import Labels
from station.reports.table import (
    ENTRY_MEASURES,
    USAGE_MEASURES,
    Dimension,
    Measure,
    Report,
    ReportTable,
)
from station.reports.words import Lang

_PERIODS = (Dimension.DAY, Dimension.WEEK, Dimension.MONTH, Dimension.QUARTER, Dimension.YEAR)
_TIMES = (*_PERIODS, Dimension.HOUR, Dimension.WEEKDAY)
# What each report can be tallied by and measure, once the aggregates compute it all.
DIMENSIONS: dict[Report, tuple[Dimension, ...]] = {
    Report.ENTRIES: (
        *_TIMES,
        Dimension.SPACE,
        Dimension.PURPOSE,
        Dimension.COMMUNE,
        Dimension.KIND,
        Dimension.PLAN,
        Dimension.AGE,
        Dimension.SITE,
    ),
    Report.USAGE: (Dimension.MACHINE, Dimension.TRAINING, *_TIMES, Dimension.SITE),
}
MEASURES: dict[Report, tuple[Measure, ...]] = {
    Report.ENTRIES: ENTRY_MEASURES,
    Report.USAGE: USAGE_MEASURES,
}
NOT_COMPUTED: frozenset[Measure] = frozenset()  # every measure is counted (first_time too)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("report", help="entry and usage tallies")
    commands = parser.add_subparsers(dest="report_command", metavar="TALLY", required=True)
    for report, default in ((Report.ENTRIES, "day"), (Report.USAGE, "machine")):
        dims = ", ".join(DIMENSIONS[report])
        sub = commands.add_parser(report.value, help=f"{report} by {dims}")
        add_range_options(
            sub, default_range="30 days before --to; by week, 12 weeks; by month, 12 months"
        )
        sub.add_argument("--by", default=default, help=f"comma-separated dimensions among {dims}")
        sub.add_argument(
            "--measure",
            help=f"comma-separated columns among {', '.join(MEASURES[report])} (default: all)",
        )
        add_output_options(sub)
        add_source_arguments(sub)
        sub.set_defaults(handler=run_report, tally=report.value)
    register_outcomes(commands, write=_write, first_day=default_first_day)
    register_summary(commands)
    register_badges(commands)


def run_report(args: argparse.Namespace, ctx: Context) -> int:
    report = Report(args.tally)
    try:
        dims = checked_dimensions(report, args.by, DIMENSIONS[report])
        measures = _measures(report, args.measure)
    except UsageError as exc:
        print(f"station: {exc}", file=sys.stderr)
        return 2
    fmt = chosen_format(args, ctx)
    table = _compute(report, dims, args, ctx).with_measures(measures)
    return publish_and_write(table, fmt, args, ctx, _write)


def _measures(report: Report, text: str | None) -> tuple[str, ...]:
    computed = tuple(m for m in MEASURES[report] if m not in NOT_COMPUTED)
    if text is None:
        return computed
    given = names(text)
    allowed = MEASURES[report]
    unknown = [m for m in given if m not in allowed]
    if unknown or not given:
        raise UsageError(
            f"unknown measure {', '.join(unknown) or '(none)'} for {report}; "
            f"expected among {', '.join(allowed)}"
        )
    missing = [m for m in given if m in NOT_COMPUTED]
    if missing:
        raise UsageError(
            f"{', '.join(missing)} not computed yet; the reports give {', '.join(computed)}"
        )
    return tuple(dict.fromkeys(given))


def _compute(
    report: Report, dims: list[str], args: argparse.Namespace, ctx: Context
) -> ReportTable:
    config = ctx.config
    zone = ZoneInfo(config.site.timezone)
    last = args.end or dt.datetime.now(zone).date()
    first = args.start or default_first_day(last, dims)
    if first > last:
        raise StationError(f"--from {first} is after --to {last}")
    # The site database, or central's (--central); distinct people need rows that still
    # name them (the purge unlinks old ones): from `raw_since` on.
    with reading(args, ctx) as source:
        connection, site, raw_since = source.connection, source.site, source.raw_since
        return figures(connection, report, site, first, last, dims, zone, raw_since, config)


def _write(table: ReportTable, fmt: str, args: argparse.Namespace, ctx: Context) -> None:
    labels = Labels.from_config(ctx.config, Lang(args.lang))
    if fmt == "xlsx":
        from station.reports.xlsx import write_xlsx

        write_xlsx([table], labels, args.output)
    elif fmt in {"png", "svg"}:
        from station.reports.charts import write_chart

        write_chart(table, labels, args.output, fmt)
    elif fmt == "table":
        from station.reports.text import to_rich

        ctx.console.print(to_rich(table, labels))
    else:
        from station.reports.text import to_csv, to_json

        if fmt == "csv":
            text = to_csv(table, labels, excel=args.excel)
        else:
            text = json.dumps(to_json(table), ensure_ascii=False, indent=1) + "\n"
        if args.output is None:
            sys.stdout.write(text)
        else:
            args.output.write_text(text, encoding="utf-8", newline="")


def default_first_day(last: dt.date, dims: list[str]) -> dt.date:
    """Without --from: the last 30 days, or whole periods when tallying by week or month
    (12 of them, the current one included), quarter (8) or year (5), so that
    `--by month` shows months."""
    if "year" in dims:
        return dt.date(last.year - 4, 1, 1)
    if "quarter" in dims:
        quarter = (last.year * 12 + last.month - 1) // 3 * 3 - 3 * 7
        return dt.date(quarter // 12, quarter % 12 + 1, 1)
    if "month" in dims:
        month = last.year * 12 + last.month - 1 - 11
        return dt.date(month // 12, month % 12 + 1, 1)
    if "week" in dims:
        return last - dt.timedelta(days=last.weekday() + 7 * 11)
    return last - dt.timedelta(days=29)
