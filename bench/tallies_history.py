"""The history bench_tallies.py measures: five years of a large site, generated (with
numpy, deterministic) and loaded into a PostgreSQL kept between runs."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, create_engine, insert, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from station.aggregates import rebuild
from station.config import StationConfig
from station.db import Member, upgrade
from sync import central
from sync.tables import table_of
from tests.support.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[1]
LAST = dt.date(2026, 11, 30)  # the last day of the history (a Monday)
YEARS = 5
FIRST = LAST.replace(year=LAST.year - YEARS) + dt.timedelta(days=1)
# Central's "now": the next morning, before opening (everyone has checked out).
NOW = dt.datetime(2026, 12, 1, 5, 0, tzinfo=dt.UTC)
FULL = {"visits": 3_000_000, "events": 10_000_000, "sessions": 500_000}
POOLS = {"members": 15_000, "visitors": 30_000}
DURATION_MEDIAN = {  # minutes, by purpose: a coworker stays, digital help is an appointment
    "coworking": 180,
    "fablab": 120,
    "creativity": 90,
    "digital-help": 50,
    "event": 100,
}
PURPOSE_SHARE = {"coworking": 38, "fablab": 20, "creativity": 10, "digital-help": 14, "event": 18}
OUTSIDE = ("59183", "62193", "62498", "59350", "75056", "62041")  # communes off the territory
ENTRY_REPORTS: tuple[tuple[str, ...], ...] = (
    ("day",),
    ("week",),
    ("month",),
    ("quarter",),
    ("year",),
    ("hour",),
    ("weekday",),
    ("space",),
    ("purpose",),
    ("commune",),
    ("kind",),
    ("plan",),
    ("weekday", "hour"),
)
USAGE_REPORTS: tuple[tuple[str, ...], ...] = (("machine",), ("month",), ("training",))
# The floor's grouping: the dimension computed by PostgreSQL from the tally row.
# -- the history ------------------------------------------------------------------------


class History:
    """Columns of generated rows (numpy arrays), drawn from one seeded generator."""

    def __init__(self, config: StationConfig, scale: float, first: dt.date, last: dt.date):
        self.rng = np.random.default_rng(2026)
        self.zone = ZoneInfo(config.site.timezone)
        self.site = config.site.id
        self.days = _days(first, last)
        self.scale = scale
        self.purposes = [p.id for p in config.purposes]
        self.space_of = {p.id: p.space for p in config.purposes}
        opening = config.schedule("opening_hours")
        self.open_min, self.close_min = self._hours(opening, self.days)
        self.fab_open, self.fab_close = self._hours(config.schedule("fablab"), self.days)
        # Midnight of each local day in UTC seconds (the offset at noon: the changes of
        # daylight-saving time fall at night, when the site is closed).
        self.midnight = np.array(
            [
                dt.datetime.combine(d, dt.time(12), self.zone).timestamp() - 12 * 3600
                for d in self.days
            ]
        )
        # Visits per unit of a day's weight, from the whole five years: a shorter window
        # (the kiosk's 90 days) gets the same busy days.
        full = History._weights(self, _days(FIRST, LAST), *self._hours(opening, _days(FIRST, LAST)))
        self.per_weight = 1 / full.sum()
        self.members = max(50, int(POOLS["members"] * scale))
        self.visitors = max(50, int(POOLS["visitors"] * scale))
        self._people()

    @staticmethod
    def _hours(schedule: Any, days: list[dt.date]) -> tuple[np.ndarray, np.ndarray]:
        opens, closes = [], []
        for day in days:
            ranges = schedule.ranges_on(day)
            opens.append(min((r[0].hour * 60 + r[0].minute for r in ranges), default=0))
            closes.append(max((r[1].hour * 60 + r[1].minute for r in ranges), default=0))
        return np.array(opens, dtype=float), np.array(closes, dtype=float)

    def _people(self) -> None:
        rng, people = self.rng, self.members + self.visitors
        communes = np.loadtxt(
            ROOT / "station/data/capso-communes.csv",
            delimiter=",",
            skiprows=1,
            usecols=(0, 2),
            dtype=str,
        )
        weights = communes[:, 1].astype(float)
        home = rng.choice(communes[:, 0], size=people, p=weights / weights.sum()).astype(object)
        where = rng.random(people)
        home[where > 0.88] = rng.choice(OUTSIDE, size=int((where > 0.88).sum()))
        home[where > 0.96] = None  # not given at sign-up
        self.home = home
        self.plan = np.where(rng.random(self.members) < 0.8, "member", "resident")
        self.activity = rng.lognormal(0, 1.2, self.members)  # regulars and the occasional
        self.ids = [uuid.UUID(_uuid(0, n)) for n in range(people)]
        self.hashes = [f"{n:064x}" for n in range(people)]

    def _weights(self, days: list[dt.date], opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
        """Seasons (August and Christmas quiet), weekdays (Friday late), growth."""
        weights = []
        for n, day in enumerate(days):
            open_hours = (closes[n] - opens[n]) / 60
            season = {8: 0.45, 7: 0.8, 12: 0.75, 9: 1.15, 10: 1.1, 11: 1.1}.get(day.month, 1.0)
            growth = 0.6 + 0.6 * (day - FIRST).days / (LAST - FIRST).days
            weights.append(open_hours / 9 * season * growth)
        return np.array(weights)

    def day_weights(self) -> np.ndarray:
        """The share of the five years' rows that falls on each day."""
        return self._weights(self.days, self.open_min, self.close_min) * self.per_weight

    def per_day(self, total: float) -> np.ndarray:
        return self.rng.poisson(self.day_weights() * total)

    def minutes(self, day: np.ndarray, opens: np.ndarray, closes: np.ndarray) -> np.ndarray:
        """Arrivals: a morning peak and a larger afternoon one, within opening hours."""
        rng = self.rng
        fraction = np.where(
            rng.random(len(day)) < 0.45, rng.beta(2, 5, len(day)), rng.beta(4, 2.5, len(day))
        )
        span = np.maximum(closes[day] - opens[day] - 10, 1)
        return opens[day] + fraction * span

    def visits(self) -> dict[str, Any]:
        rng = self.rng
        count = self.per_day(FULL["visits"] * self.scale)
        day = np.repeat(np.arange(len(self.days)), count)
        n = len(day)
        arrive = self.minutes(day, self.open_min, self.close_min)
        purpose = rng.choice(
            self.purposes, size=n, p=_shares([PURPOSE_SHARE.get(p, 1) for p in self.purposes])
        )
        median = np.array([DURATION_MEDIAN.get(p, 90) for p in purpose])
        stay = median * rng.lognormal(0, 0.5, n)
        leave = np.minimum(arrive + stay, self.close_min[day])
        closing = arrive + stay >= self.close_min[day]
        visitor = rng.random(n) < 0.12
        # A visitor comes a few times within a couple of months, then no more.
        near = day / len(self.days) * self.visitors + rng.normal(0, 25 * self.visitors / 1826, n)
        visitor_index = self.members + np.clip(near.astype(int), 0, self.visitors - 1)
        member_index = rng.choice(self.members, size=n, p=self.activity / self.activity.sum())
        person = np.where(visitor, visitor_index, member_index)
        plan = np.where(visitor, "", self.plan[np.minimum(person, self.members - 1)])
        start = self.midnight[day] + arrive * 60
        return {
            "n": n,
            "count": count,
            "person": person,
            "at": start,
            "out": self.midnight[day] + leave * 60,
            "reason": np.where(closing, "closing", "self"),
            "purpose": purpose,
            "kind": np.where(visitor, "visitor", "member"),
            "plan": plan,
        }

    def events(self, visits_per_day: np.ndarray) -> dict[str, Any]:
        rng = self.rng
        count = rng.poisson(visits_per_day / visits_per_day.sum() * FULL["events"] * self.scale)
        day = np.repeat(np.arange(len(self.days)), count)
        n = len(day)
        at = self.midnight[day] + self.minutes(day, self.open_min - 30, self.close_min + 30) * 60
        agent = rng.choice(
            ["front-door", "laser-cutter", "printer-3d"], size=n, p=[0.75, 0.1, 0.15]
        )
        kind = rng.choice(
            ["granted", "denied", "door_opened", "door_closed", "door_forced"],
            size=n,
            p=[0.55, 0.05, 0.2, 0.195, 0.005],
        )
        reason = np.where(
            kind == "granted",
            "granted",
            np.where(kind == "denied", "no_valid_membership", ""),
        )
        person = rng.choice(self.members, size=n, p=self.activity / self.activity.sum())
        return {"n": n, "at": at, "agent": agent, "type": kind, "reason": reason, "person": person}

    def sessions(self) -> dict[str, Any]:
        rng = self.rng
        laser_days = self.fab_close > self.fab_open
        count = self.per_day(FULL["sessions"] * self.scale)
        day = np.repeat(np.arange(len(self.days)), count)
        n = len(day)
        laser = (rng.random(n) < 0.4) & laser_days[day]
        opens = np.where(laser, self.fab_open[day], self.open_min[day])
        closes = np.where(laser, self.fab_close[day], self.close_min[day])
        start = opens + rng.random(n) * np.maximum(closes - opens - 20, 1)
        cap = np.where(laser, 180.0, 720.0)
        wanted = np.where(laser, 35.0, 150.0) * rng.lognormal(0, 0.6, n)
        minutes = np.minimum(wanted, cap)
        end_reason = rng.choice(
            ["badge_tap", "idle_timeout", "badge_removed"], n, p=[0.7, 0.2, 0.1]
        )
        trained = max(10, self.members // 5)  # those with a training use the machines
        return {
            "n": n,
            "at": self.midnight[day] + start * 60,
            "seconds": minutes * 60,
            "machine": np.where(laser, "laser-cutter", "printer-3d"),
            "end_reason": np.where(wanted >= cap, "max_session", end_reason),
            "person": rng.integers(0, trained, n),
        }


def _days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def _shares(values: Sequence[float]) -> np.ndarray:
    array = np.array(values, dtype=float)
    return array / array.sum()


def _uuid(ms: int, n: int) -> str:
    """A time-ordered identifier like UUIDv7, unique by `n` (cheap: no randomness)."""
    digits = f"{ms:012x}7{n:019x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:32]}"


def _stamps(seconds: np.ndarray) -> list[str]:
    """UTC instants as PostgreSQL reads them in COPY."""
    text_ = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
    return [f"{t}+00" for t in text_.tolist()]


# -- central --------------------------------------------------------------------------


class KeptPostgres(PostgresServer):
    """A PostgreSQL whose data directory outlives the run: the history is generated once."""

    def __init__(self, bin_dir: Path, directory: Path) -> None:
        super().__init__(bin_dir)
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory = directory
        self.data = directory / "data"

    def start(self) -> None:
        if (self.data / "PG_VERSION").exists():
            self._run(
                "pg_ctl",
                "-D",
                str(self.data),
                "-l",
                str(self.directory / "log"),
                "-w",
                "-o",
                f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
                "-c fsync=off -c synchronous_commit=off -c full_page_writes=off",
                "start",
            )
            self._started = True
            return
        self.directory.mkdir(parents=True, exist_ok=True)
        self.directory.chmod(0o755)
        super().start()

    def close(self) -> None:
        if self._started:
            self._started = False
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")


def central_database(server: str, scale: float, fresh: bool) -> tuple[str, bool]:
    """The URL of this scale's database, and whether it must be generated."""
    name = f"tallies_{str(scale).replace('.', '_')}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if exists and fresh:
            connection.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            exists = None
        if not exists:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    if exists:
        probe = create_engine(url, poolclass=NullPool)
        with probe.connect() as connection:
            ready = connection.execute(
                text("SELECT count(*) FROM pg_tables WHERE tablename = 'bench_ready'")
            ).scalar()
        probe.dispose()
        if ready:
            return url, False
    upgrade(url)
    return url, True


def generate(engine: Engine, config: StationConfig, scale: float) -> None:
    history = History(config, scale, FIRST, LAST)
    started = time.perf_counter()
    visits = history.visits()
    events = history.events(visits["count"].astype(float))
    sessions = history.sessions()
    print(
        f"  drawn {visits['n']:,} visits, {events['n']:,} events, {sessions['n']:,} sessions "
        f"in {time.perf_counter() - started:.0f} s"
    )
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET session_replication_role = replica")  # no FK checks: a bulk load
        cursor.execute("SET maintenance_work_mem = '256MB'")
        _members(engine, history, visits)
        site = history.site
        _copy(
            cursor,
            "visits",
            "id, site_id, uploaded_at, member_id, kiosk_id, purpose, space, checked_in_at, "
            "checked_out_at, checkout_reason, home_commune, member_kind, plan",
            (
                f"{_uuid(int(at * 1000), n)}\t{site}\t{up}\t{history.ids[p]}\tentrance\t{pu}"
                f"\t{history.space_of[pu]}\t{at_s}\t{out_s}\t{reason}"
                f"\t{history.home[p] or chr(92) + 'N'}\t{kind}\t{plan}\n"
                for n, (at, at_s, up, out_s, p, pu, reason, kind, plan) in enumerate(
                    zip(
                        visits["at"].tolist(),
                        _stamps(visits["at"]),
                        _stamps(visits["out"] + 600),
                        _stamps(visits["out"]),
                        visits["person"].tolist(),
                        visits["purpose"].tolist(),
                        visits["reason"].tolist(),
                        visits["kind"].tolist(),
                        visits["plan"].tolist(),
                        strict=True,
                    )
                )
            ),
        )
        _copy(
            cursor,
            "access_events",
            "id, site_id, uploaded_at, agent_id, resource, type, reason, credential_hash, "
            "member_id, at, data",
            (
                f"{_uuid(int(at * 1000), n)}\t{site}\t{at_s}\t{agent}\t{agent}\t{kind}"
                f"\t{reason or chr(92) + 'N'}\t{history.hashes[p]}\t{history.ids[p]}"
                f"\t{at_s}\t{{}}\n"
                for n, (at, at_s, agent, kind, reason, p) in enumerate(
                    zip(
                        events["at"].tolist(),
                        _stamps(events["at"]),
                        events["agent"].tolist(),
                        events["type"].tolist(),
                        events["reason"].tolist(),
                        events["person"].tolist(),
                        strict=True,
                    )
                )
            ),
        )
        _copy(
            cursor,
            "machine_sessions",
            "id, site_id, uploaded_at, agent_id, resource, member_id, credential_hash, "
            "started_at, ended_at, end_reason, duration_s",
            (
                f"{_uuid(int(at * 1000), n)}\t{site}\t{end_s}\t{machine}\t{machine}"
                f"\t{history.ids[p]}\t{history.hashes[p]}\t{at_s}\t{end_s}\t{why}\t{s:.1f}\n"
                for n, (at, at_s, end_s, machine, p, why, s) in enumerate(
                    zip(
                        sessions["at"].tolist(),
                        _stamps(sessions["at"]),
                        _stamps(sessions["at"] + sessions["seconds"]),
                        sessions["machine"].tolist(),
                        sessions["person"].tolist(),
                        sessions["end_reason"].tolist(),
                        sessions["seconds"].tolist(),
                        strict=True,
                    )
                )
            ),
        )
        cursor.execute("ANALYZE")
        raw.commit()
    finally:
        raw.close()
    print(f"  written in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    with engine.begin() as connection:
        days = rebuild(connection, history.site, history.zone, until=LAST)
    with engine.begin() as connection:
        connection.execute(text("ANALYZE entry_tallies"))
        connection.execute(text("ANALYZE usage_tallies"))
        cells = connection.execute(text("SELECT count(*) FROM entry_tallies")).scalar()
        connection.execute(text("CREATE TABLE bench_ready (scale float)"))
    print(
        f"  tallies rebuilt ({days:,} days, {cells:,} entry cells) "
        f"in {time.perf_counter() - started:.0f} s"
    )


def _members(engine: Engine, history: History, visits: dict[str, Any]) -> None:
    """The people, each created on the day of their first visit (what the purge reads)."""
    people = history.members + history.visitors
    first = np.full(people, visits["at"].max() if visits["n"] else 0.0)
    np.minimum.at(first, visits["person"], visits["at"])
    created = [dt.datetime.fromtimestamp(s - 86400, dt.UTC) for s in first.tolist()]
    with engine.begin() as connection:
        revision = central.allocate(connection, people)
        connection.execute(
            insert(table_of(Member)),
            [
                {
                    "id": history.ids[n],
                    "kind": "member" if n < history.members else "visitor",
                    "first_name": f"Prénom{n}",
                    "last_name": f"Nom{n}",
                    "email": None,
                    "home_commune": history.home[n],
                    "consent_at": created[n],
                    "created_at": created[n],
                    "last_purpose": None,
                    "revision": revision + n,
                    "updated_at": created[n],
                    "deleted_at": None,
                    "origin_site": None,
                    "dirty": False,
                }
                for n in range(people)
            ],
        )


def _copy(cursor: Any, table: str, columns: str, lines: Iterator[str]) -> None:
    """COPY `lines` into `table`, its secondary indexes dropped meanwhile and rebuilt."""
    started = time.perf_counter()
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
        "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
        (table,),
    )
    indexes = cursor.fetchall()
    for name, _ in indexes:
        cursor.execute(f'DROP INDEX "{name}"')
    with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        buffer = io.StringIO()
        for n, line in enumerate(lines, 1):
            buffer.write(line)
            if n % 200_000 == 0:
                copy.write(buffer.getvalue())
                buffer = io.StringIO()
        copy.write(buffer.getvalue())
    for _, definition in indexes:
        cursor.execute(definition)
    print(f"  {table}: {time.perf_counter() - started:.0f} s")
