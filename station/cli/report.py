"""`station report entries|usage --from --to --by ... --format table|csv|json|png`."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

from station.cli.context import Context
from station.errors import StationError
from station.tallies import ENTRY_DIMENSIONS, USAGE_DIMENSIONS, TallyRow, entries, usage


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = subparsers.add_parser("report", help="entry and usage tallies")
    commands = parser.add_subparsers(dest="report_command", metavar="TALLY", required=True)
    for name, dims, default in (
        ("entries", ENTRY_DIMENSIONS, "day"),
        ("usage", USAGE_DIMENSIONS, "machine"),
    ):
        sub = commands.add_parser(name, help=f"{name} by {', '.join(dims)}")
        sub.add_argument(
            "--from",
            dest="start",
            type=dt.date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="first day (default: 30 days before --to; by week, 12 weeks; by month, 12 months)",
        )
        sub.add_argument(
            "--to",
            dest="end",
            type=dt.date.fromisoformat,
            metavar="YYYY-MM-DD",
            help="last day, included (default: today)",
        )
        sub.add_argument(
            "--by", default=default, help=f"comma-separated dimensions among {', '.join(dims)}"
        )
        sub.add_argument("--format", choices=["table", "csv", "json", "png"], default="table")
        sub.add_argument("--output", type=Path, help="file to write (required for png)")
        sub.set_defaults(handler=run_report, tally=name)


def run_report(args: argparse.Namespace, ctx: Context) -> int:
    config = ctx.config
    zone = ZoneInfo(config.site.timezone)
    today = dt.datetime.now(zone).date()
    last = args.end or today
    dims = [d.strip() for d in args.by.split(",") if d.strip()]
    first = args.start or default_first_day(last, dims)
    if first > last:
        raise StationError(f"--from {first} is after --to {last}")
    start = dt.datetime.combine(first, dt.time(), zone).astimezone(dt.UTC)
    end = dt.datetime.combine(last + dt.timedelta(days=1), dt.time(), zone).astimezone(dt.UTC)
    tally = entries if args.tally == "entries" else usage
    with ctx.session() as session:
        try:
            rows = tally(session, config.site.id, config.site.timezone, start, end, dims)
        except ValueError as exc:
            raise StationError(str(exc)) from None
    fmt = "json" if ctx.json_output else args.format
    title = f"{config.site.name}: {args.tally} {first} → {last}"
    if fmt == "png":
        if args.output is None:
            raise StationError("--format png needs --output FILE.png")
        _chart(rows, dims, args.tally, title, args.output)
        return 0
    records = [_record(row, dims, args.tally) for row in rows]
    columns = [*dims, "count"] + (["hours"] if args.tally == "usage" else [])
    out = args.output.open("w", encoding="utf-8", newline="") if args.output else sys.stdout
    try:
        if fmt == "csv":
            writer = csv.DictWriter(out, fieldnames=columns)
            writer.writeheader()
            writer.writerows(records)
        elif fmt == "json":
            json.dump(records, out, ensure_ascii=False, indent=1)
            out.write("\n")
        else:
            ctx.output(records, columns, title=title)
    finally:
        if out is not sys.stdout:
            out.close()
    return 0


def default_first_day(last: dt.date, dims: list[str]) -> dt.date:
    """Without --from: the last 30 days, or whole periods when tallying by week or month
    (12 of them, the current one included), so that `--by month` shows months."""
    if "month" in dims:
        month = last.year * 12 + last.month - 1 - 11
        return dt.date(month // 12, month % 12 + 1, 1)
    if "week" in dims:
        return last - dt.timedelta(days=last.weekday() + 7 * 11)
    return last - dt.timedelta(days=29)


def _record(row: TallyRow, dims: list[str], tally: str) -> dict[str, object]:
    record: dict[str, object] = dict(zip(dims, row.key, strict=True))
    record["count"] = row.count
    if tally == "usage":
        record["hours"] = row.hours
    return record


def _chart(rows: list[TallyRow], dims: list[str], tally: str, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # no display needed
    import matplotlib.pyplot as plt

    labels = [" / ".join(row.key) or "total" for row in rows]
    values = [row.hours if tally == "usage" else row.count for row in rows]
    figure, axes = plt.subplots(figsize=(max(6, len(rows) * 0.5), 4), layout="constrained")
    axes.bar(labels, values, color="#1f6f8b")
    axes.set_title(title)
    axes.set_ylabel("hours" if tally == "usage" else "entries")
    axes.tick_params(axis="x", labelrotation=60 if len(rows) > 6 else 0)
    figure.savefig(path, dpi=120)
    plt.close(figure)
