"""Tallies benchmark: five years of a large site at central; reports, check-in, purge.

    .venv/bin/python bench/bench_tallies.py                # 3 M visits (generated once)
    .venv/bin/python bench/bench_tallies.py --scale 0.1    # a tenth, for a quick run
    .venv/bin/python bench/bench_tallies.py --fresh        # generate again
    .venv/bin/python bench/bench_tallies.py --json PATH    # also the figures as JSON

Central is its own PostgreSQL, kept between runs in --pg-dir (the generation takes
minutes; --fresh redoes it): five years of check-ins, access events and machine
sessions spread over opening hours, weekdays, seasons, the communes of
station/data/capso-communes.csv and the purposes and plans of config.toml, then the
tallies built by `station.aggregates.rebuild`. Each figure is printed beside its floor
measured in the same run, and the ratio: every report over the five years against one
indexed aggregate query of the same tally rows; a kiosk's check-in (SQLite) with and
without its tally; the daily purge against its statements alone. The figures go in
docs/benchmarks.md ("## Tallies").
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Connection, Engine, insert, text
from sqlalchemy.orm import Session

from bench.figures import Figure, Unit, add_json_option, print_table, write_json
from bench.tallies_history import (
    ENTRY_REPORTS,
    FIRST,
    LAST,
    NOW,
    ROOT,
    USAGE_REPORTS,
    History,
    KeptPostgres,
    central_database,
    generate,
)
from bench.tallies_purge import Row, bench_purge, timed
from station.aggregates import rebuild
from station.checkin import Desk
from station.config import StationConfig, load_config
from station.db import Member, Visit, make_engine, upgrade
from station.reports.cells import DAY_DERIVED
from station.reports.entry_rows import plan, tile
from station.reports.from_aggregates import entries_table, usage_table
from station.reports.table import Measure
from tests.support.postgres import server_binaries

FLOOR_SQL = {
    "day": "day",
    "week": "to_char(day, 'IYYY-\"W\"IW')",
    "month": "to_char(day, 'YYYY-MM')",
    "quarter": "to_char(day, 'YYYY-\"Q\"Q')",
    "year": "extract(year from day)",
    "weekday": "extract(isodow from day)",
    "hour": "hour",
    "space": "space",
    "purpose": "purpose",
    "commune": "commune",
    "kind": "kind",
    "plan": "plan",
    "machine": "machine",
    "training": "machine",  # a machine's trainings are a lookup of its row
}


# -- the figures ------------------------------------------------------------------------


def bench_reports(engine: Engine, config: StationConfig, runs: int) -> list[Row]:
    zone = ZoneInfo(config.site.timezone)
    site = config.site.id
    # As a central that purges daily has it: distinct people from the retention window
    # on, so over five years they are said unavailable (`people_since`).
    raw_since = (NOW - dt.timedelta(days=config.retention.movement_days)).date()
    trainings = {a.resource: tuple(a.trainings) for a in config.agents.values()}
    rows: list[Row] = []
    with engine.connect() as connection:
        reports: list[tuple[str, Callable[[], object], str]] = []
        for dims in ENTRY_REPORTS:
            reports.append(
                (
                    "entries by " + "+".join(dims),
                    functools.partial(
                        entries_table,
                        connection,
                        site,
                        FIRST,
                        LAST,
                        dims,
                        zone,
                        raw_since=raw_since,
                    ),
                    _rollup_floor_sql(connection, site, dims),
                )
            )
        for dims in USAGE_REPORTS:
            reports.append(
                (
                    "usage by " + "+".join(dims),
                    functools.partial(
                        usage_table,
                        connection,
                        site,
                        FIRST,
                        LAST,
                        dims,
                        zone,
                        raw_since=raw_since,
                        trainings_of=lambda m: trainings.get(m, ()),
                    ),
                    _floor_sql("usage_tallies", "sum(sessions), sum(seconds)", dims),
                )
            )
        check_periods(connection, site, zone, raw_since)
        bounds = {"site": site, "first": FIRST, "last": LAST}
        for name, report, sql in reports:
            query = text(sql)
            report()  # warm: plans and pages
            connection.execute(query, bounds).all()
            spent: list[float] = []
            floor: list[float] = []
            for _ in range(runs):
                spent.append(timed(report))
                floor.append(timed(functools.partial(_fetch, connection, query, bounds)))
            rows += [
                (f"{name}: p50", runs, _pct(spent, 50), _pct(floor, 50)),
                (f"{name}: p95", runs, _pct(spent, 95), _pct(floor, 95)),
            ]
            print(f"  {rows[-2][0]} {rows[-2][2] * 1000:.1f} ms (floor {rows[-2][3] * 1000:.1f})")
        # Before any purge distinct people come from the raw rows: five years of visits.
        raw = [
            timed(
                lambda: entries_table(
                    connection, site, FIRST, LAST, ("year",), zone, raw_since=None
                )
            )
            for _ in range(2)
        ]
        query = text(_floor_sql("visits", "count(DISTINCT member_id)", ("year",)))
        floor = [timed(functools.partial(_fetch, connection, query, bounds)) for _ in range(2)]
        rows.append(("entries by year with people from the raw visits", 2, min(raw), min(floor)))
    return rows


def check_periods(connection: Connection, site: str, zone: ZoneInfo, raw_since: dt.date) -> None:
    """The periods the database groups by are those `DAY_DERIVED` places each day in."""
    by_day = entries_table(connection, site, FIRST, LAST, ("day",), zone, raw_since=raw_since)
    for dim, period_of in DAY_DERIVED.items():
        expected: dict[str, int] = {}
        for (day,), values in by_day.rows:
            key = period_of(dt.date.fromisoformat(day))
            expected[key] = expected.get(key, 0) + int(values[Measure.ENTRIES] or 0)
        table = entries_table(connection, site, FIRST, LAST, (dim,), zone, raw_since=raw_since)
        found = {key: int(values[Measure.ENTRIES] or 0) for (key,), values in table.rows}
        assert found == expected, f"entries by {dim} differ from the days'"


def _fetch(connection: Connection, query: Any, bounds: dict[str, Any]) -> object:
    return connection.execute(query, bounds).all()


def _floor_sql(table: str, sums: str, dims: Sequence[str]) -> str:
    if table == "visits":  # the raw rows' floor: local days, distinct people per year
        day = "(checked_in_at AT TIME ZONE 'Europe/Paris')::date"
        return (
            f"SELECT extract(year from {day}), {sums} FROM visits WHERE site_id = :site "
            f"AND {day} BETWEEN :first AND :last GROUP BY 1"
        )
    groups = ", ".join(FLOOR_SQL[d] for d in dims)
    return (
        f"SELECT {groups}, {sums} FROM {table} WHERE site_id = :site "
        f"AND day BETWEEN :first AND :last GROUP BY {groups}"
    )


def _rollup_floor_sql(connection: Connection, site: str, dims: Sequence[str]) -> str:
    """One indexed query of the roll-up rows `station.reports.entry_rows` reads for the
    report (the range tiled with the same grains), summed by the same groups."""
    chosen = plan(connection, site, FIRST, LAST, dims)
    named = [d for d in dims if d not in DAY_DERIVED]
    groups = ", ".join(
        "value" if d in named else FLOOR_SQL[d].replace("day", "start") for d in dims
    )
    runs = " OR ".join(
        f"(grain = '{grain}' AND start BETWEEN '{first}' AND '{last}')"
        for grain, first, last in tile(FIRST, LAST, chosen.grains, frozenset())
    )
    return (
        f"SELECT {groups}, sum(entries) FROM entry_rollups WHERE dimension = "
        f"'{''.join(named)}' AND site_id = :site AND ({runs}) GROUP BY {groups}"
    )


def _pct(values: list[float], pct: int) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def bench_check_in(config: StationConfig, directory: Path, checkins: int) -> list[Row]:
    """A kiosk's check-in on a busy day of its SQLite database, with and without the
    recomputation of that day's tallies (`Desk._tally`)."""
    url = f"sqlite:///{directory / 'site.db'}"
    upgrade(url)
    engine = make_engine(url)
    last = LAST - dt.timedelta(days=3)  # a Friday: open until 21:00, the busiest day
    history = History(config, 1.0, last - dt.timedelta(days=89), last)
    visits = history.visits()
    with Session(engine) as session, session.begin():
        session.execute(
            insert(Member),
            [
                {
                    "id": history.ids[n],
                    "first_name": f"Prénom{n}",
                    "kind": "member" if n < history.members else "visitor",
                    "home_commune": history.home[n],
                }
                for n in range(history.members + history.visitors)
            ],
        )
        session.execute(
            insert(Visit),
            [
                {
                    "member_id": history.ids[p],
                    "kiosk_id": "entrance",
                    "purpose": purpose,
                    "space": history.space_of[purpose],
                    "checked_in_at": dt.datetime.fromtimestamp(at, dt.UTC),
                    "checked_out_at": dt.datetime.fromtimestamp(out, dt.UTC),
                    "checkout_reason": reason,
                    "site_id": history.site,
                    "home_commune": history.home[p],
                    "member_kind": kind,
                    "plan": plan,
                }
                for at, out, p, purpose, reason, kind, plan in zip(
                    visits["at"].tolist(),
                    visits["out"].tolist(),
                    visits["person"].tolist(),
                    visits["purpose"].tolist(),
                    visits["reason"].tolist(),
                    visits["kind"].tolist(),
                    visits["plan"].tolist(),
                    strict=True,
                )
            ],
        )
        rebuild(session.connection(), history.site, history.zone, until=last)
    today = int(visits["count"][-1])
    desk = Desk.from_config(config, "entrance")
    plain = Desk.from_config(config, "entrance")
    plain._tally = lambda session, visits: None  # type: ignore[method-assign]
    moment = dt.datetime.combine(last, dt.time(20, 30), history.zone).astimezone(dt.UTC)
    spent: dict[str, list[float]] = {"with": [], "without": []}
    for n in range(checkins):
        for which, kiosk in (("with", desk), ("without", plain)):
            with Session(engine) as session:
                member = session.get(Member, history.ids[(2 * n + (which == "without")) % 5000])
                assert member is not None
                started = time.perf_counter()
                kiosk.check_in(session, member, "coworking", moment + dt.timedelta(seconds=n))
                session.commit()
                spent[which].append(time.perf_counter() - started)
    engine.dispose()
    with_, without = statistics.median(spent["with"]), statistics.median(spent["without"])
    return [
        (
            f"check-in + commit (SQLite), {today:,} visits that day: median",
            checkins,
            with_,
            without,
        ),
        ("check-in: p95", checkins, _pct(spent["with"], 95), _pct(spent["without"], 95)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="of 3 M visits, 10 M events")
    parser.add_argument("--runs", type=int, default=21, help="runs of each report")
    parser.add_argument("--checkins", type=int, default=200)
    parser.add_argument("--purge-days", type=int, default=5)
    parser.add_argument("--forget-sample", type=int, default=20, help="visitors forgotten, timed")
    parser.add_argument("--fresh", action="store_true", help="generate the history again")
    parser.add_argument(
        "--pg-dir",
        type=Path,
        default=Path(tempfile.gettempdir()) / "station-bench-tallies",
        help="PostgreSQL data kept between runs",
    )
    parser.add_argument("--only", choices=("reports", "checkin", "purge"), action="append")
    add_json_option(parser)
    args = parser.parse_args()
    only = set(args.only or ("reports", "checkin", "purge"))
    config = load_config(ROOT / "config.toml")
    rows: list[Row] = []
    with ExitStack() as stack:
        if "checkin" in only:  # SQLite only: a kiosk's database
            print("check-in...")
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
            rows += bench_check_in(config, directory, args.checkins)
        if only & {"reports", "purge"}:
            binaries = server_binaries()
            if binaries is None:
                raise SystemExit("PostgreSQL is not installed")
            pg = KeptPostgres(binaries, args.pg_dir)
            pg.start()
            stack.callback(pg.close)
            url, needed = central_database(pg.url, args.scale, args.fresh)
            engine = make_engine(url)
            stack.callback(engine.dispose)
            if needed:
                print(f"generating five years at scale {args.scale}...")
                generate(engine, config, args.scale)
        if "reports" in only:
            print("reports...")
            rows += bench_reports(engine, config, args.runs)
        if "purge" in only:
            print("purge...")
            rows += bench_purge(engine, pg.url, url, config, args.purge_days, args.forget_sample)
    figures = [  # the rows are in seconds, the figures in ms as printed; 0: no floor
        Figure(measure, value * 1000, Unit.MILLISECONDS, n, floor * 1000 if floor else None)
        for measure, n, value, floor in rows
    ]
    print_table(f"station tallies, scale {args.scale} ({os.cpu_count()} cores)", figures)
    if args.json is not None:
        write_json(args.json, "tallies", figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
