"""The demo's three months of history: rhythms, first-timers, machines, and a site that
shows them (reports, the kiosk's "today") without sync sending anything twice."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from station.cli.demo import _prepare_databases
from station.cli.main import main
from station.communes import is_known
from station.config import StationConfig, load_config
from station.db import (
    Badge,
    MachineSession,
    Member,
    MemberKind,
    Membership,
    MemberTraining,
    Visit,
    make_engine,
)
from station.demo.history import HISTORY_DAYS, seed_history
from station.reports.from_aggregates import entries_table, usage_table
from station.reports.table import Measure
from station.retention import purge
from station.seed import seed_site
from station.staff_pin import check_pin
from station.tallies import entries, usage
from station.today import tallies_today
from sync import central
from sync.down import sync_down
from sync.up import sync_up
from tests.support.config import write_config

# A Wednesday, 16:30 in Saint-Omer: the site is open, people are in.
NOW = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)
PARIS = ZoneInfo("Europe/Paris")
WINDOW = (NOW - dt.timedelta(days=HISTORY_DAYS + 1), NOW)


@pytest.fixture
def config(tmp_path: Path) -> StationConfig:
    return load_config(str(write_config(tmp_path)))


@pytest.fixture
def central_engine(site_db: str, config: StationConfig) -> Iterator[Engine]:
    """The conftest's SQLite database at head, used as central, with the site's equipment."""
    engine = make_engine(site_db)
    with central.session(engine) as session:
        seed_site(session, config)
    yield engine
    engine.dispose()


def _copy(source: str | Path, target: Path) -> None:
    """A consistent copy of an SQLite file in WAL mode (what a plain copy may miss)."""
    with sqlite3.connect(source) as a, sqlite3.connect(target) as b:
        a.backup(b)
    a.close()
    b.close()


def _seed(engine: Engine, config: StationConfig, **kwargs: int) -> tuple[int, float]:
    with central.session(engine) as session:
        started = time.perf_counter()
        added = seed_history(session, config, NOW, allocate=central.allocate, **kwargs)
        return added, time.perf_counter() - started


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            model.__tablename__: session.scalar(select(func.count()).select_from(model)) or 0
            for model in (Member, Membership, Badge, MemberTraining, Visit, MachineSession)
        }


def test_three_months_of_check_ins_with_the_site_s_rhythms(
    central_engine: Engine, config: StationConfig
) -> None:
    added, seconds = _seed(central_engine, config)

    assert seconds < 2.0, f"seeding took {seconds:.2f} s"
    assert added == sum(_counts(central_engine).values())
    with Session(central_engine) as session:
        visits = session.scalars(select(Visit)).all()
        by_month = entries(session, config.site.id, config.site.timezone, *WINDOW, ["month"])
    assert 2000 <= len(visits) <= 6000  # a few thousand check-ins
    assert len([row for row in by_month if row.count >= 100]) >= 3
    assert {v.site_id for v in visits} == {config.site.id}
    assert {v.purpose for v in visits} == {p.id for p in config.purposes}

    # Never while the site is closed: no Sunday (closed in config.toml), no evening.
    schedule = config.schedule("opening_hours")
    assert config.opening_hours.sunday == ()
    local = [v.checked_in_at.astimezone(PARIS) for v in visits]
    assert all(at.weekday() != 6 for at in local)
    assert all(schedule.is_open(v.checked_in_at) for v in visits)
    for visit in visits:
        if visit.checked_out_at is not None:
            assert visit.checked_in_at < visit.checked_out_at <= NOW
            assert schedule.is_open(visit.checked_out_at - dt.timedelta(seconds=1))
    # Each space's own hours too (the digital-help desk keeps its afternoons).
    for visit in visits:
        space = config.spaces[visit.space]
        assert config.schedule(space.schedule).is_open(visit.checked_in_at), visit.purpose

    # Weekly rhythm: Wednesdays and Saturdays busier than Mondays, per open day.
    days_open: Counter[int] = Counter(d.weekday() for d in {at.date() for at in local})
    per_day = {wd: Counter(at.weekday() for at in local)[wd] / days_open[wd] for wd in days_open}
    assert per_day[2] > 1.3 * per_day[0]
    assert per_day[5] > 1.3 * per_day[0]
    # Daily rhythm: coworkers come in the morning, the fablab fills in the afternoon.
    hours: defaultdict[str, list[float]] = defaultdict(list)
    for visit, at in zip(visits, local, strict=True):
        hours[visit.purpose].append(at.hour + at.minute / 60)
    assert statistics.median(hours["coworking"]) < 11.5
    assert statistics.median(hours["fablab"]) > 13.5
    # Summer is quieter than the autumn (the window starts at the end of August).
    months = {row.key[0]: row.count for row in by_month}
    assert months["2026-08"] / 7 < months["2026-10"] / 31

    # Today: figures already, and people still in; no visit left open on an earlier day.
    today = [
        v for v, at in zip(visits, local, strict=True) if at.date() == NOW.astimezone(PARIS).date()
    ]
    assert len(today) >= 10
    assert any(v.checked_out_at is None for v in today)
    assert all(v.checked_out_at is not None for v in visits if v not in today)


def test_people_of_the_territory_members_and_first_time_visitors(
    central_engine: Engine, config: StationConfig
) -> None:
    _seed(central_engine, config)
    with Session(central_engine) as session:
        people = {m.id: m for m in session.scalars(select(Member))}
        visits = session.scalars(select(Visit).order_by(Visit.checked_in_at)).all()
        memberships = session.scalars(select(Membership)).all()
    kinds = Counter(m.kind for m in people.values())
    assert kinds[MemberKind.MEMBER] >= 200 and kinds[MemberKind.VISITOR] >= 100
    assert all(m.consent_at is not None for m in people.values())
    communes = Counter(v.home_commune for v in visits)
    assert all(code is not None and is_known(code) for code in communes)
    assert len(communes) >= 20
    assert communes["62765"] > communes["62053"]  # Saint-Omer before Audincthun: population
    assert {v.member_kind for v in visits} == {"member", "visitor"}

    # First-timers: visitors signed up at the kiosk as they checked in, every week.
    first_visit: dict[object, dt.datetime] = {}
    count: Counter[object] = Counter()
    for visit in visits:
        first_visit.setdefault(visit.member_id, visit.checked_in_at)
        count[visit.member_id] += 1
    visitors = [m for m in people.values() if m.kind is MemberKind.VISITOR]
    assert all(m.created_at == first_visit[m.id] for m in visitors)
    assert all(m.origin_site == config.site.id for m in visitors)
    assert len({first_visit[m.id].isocalendar().week for m in visitors}) >= 12
    assert sum(1 for m in visitors if count[m.id] == 1) >= 50
    assert sum(1 for m in visitors if count[m.id] >= 2) >= 10  # some come back
    # New members joined during the period too, their first visit the day they joined.
    joined = [
        m for m in people.values() if m.kind is MemberKind.MEMBER and m.created_at >= WINDOW[0]
    ]
    assert len(joined) >= 20
    # Every member's visits fall within one of their memberships.
    terms: defaultdict[object, list[Membership]] = defaultdict(list)
    for membership in memberships:
        terms[membership.member_id].append(membership)
    for visit in visits:
        assert visit.member_id is not None  # every demo visit is someone's on record
        if people[visit.member_id].kind is MemberKind.MEMBER:
            day = visit.checked_in_at.astimezone(PARIS).date()
            assert any(
                t.valid_from <= day <= (t.valid_until or day) for t in terms[visit.member_id]
            )


def test_machine_sessions_by_trained_members_on_both_machines(
    central_engine: Engine, config: StationConfig
) -> None:
    _seed(central_engine, config)
    with Session(central_engine) as session:
        by_machine = {
            row.key[0]: row
            for row in usage(session, config.site.id, config.site.timezone, *WINDOW, ["machine"])
        }
        sessions = session.scalars(select(MachineSession)).all()
        held = {(t.member_id, t.training_code): t for t in session.scalars(select(MemberTraining))}
        badges = {b.member_id: b.hash for b in session.scalars(select(Badge))}
    assert set(by_machine) == {"laser-cutter", "printer-3d"}
    assert all(row.count >= 20 and row.hours >= 10 for row in by_machine.values())
    for row in sessions:
        agent = config.agents[row.agent_id]
        assert row.resource == agent.resource
        assert row.ended_at is not None and row.started_at < row.ended_at <= NOW
        assert row.duration_s == pytest.approx((row.ended_at - row.started_at).total_seconds())
        assert agent.machine is not None and row.duration_s is not None
        assert row.duration_s <= agent.machine.max_session_min * 60
        assert row.member_id is not None
        assert row.credential_hash == badges[row.member_id]
        for code in agent.trainings:  # trained before, still valid
            training = held[(row.member_id, code)]
            assert training.granted_at <= row.started_at
            assert training.expires_at is None or training.expires_at > row.ended_at
        schedule = config.schedule(agent.schedule)  # the laser: in fablab hours only
        assert schedule.is_open(row.started_at)
        assert schedule.is_open(row.ended_at - dt.timedelta(seconds=1))
    for machine in by_machine:  # one session at a time on a machine
        spans = sorted(
            (s.started_at, s.ended_at)
            for s in sessions
            if s.resource == machine and s.ended_at is not None  # all of them (checked above)
        )
        assert all(end <= start for (_, end), (start, _) in itertools.pairwise(spans))


def test_seeded_once_and_the_same_every_time(
    central_engine: Engine, config: StationConfig, tmp_path: Path
) -> None:
    other_path = tmp_path / "other.db"
    _copy(central_engine.url.database or "", other_path)  # before any history
    added, _ = _seed(central_engine, config)
    before = _counts(central_engine)

    assert _seed(central_engine, config)[0] == 0
    assert _seed(central_engine, config, seed=8)[0] == 0
    assert _counts(central_engine) == before

    other = make_engine(f"sqlite:///{other_path}")
    try:
        assert _seed(other, config)[0] == added
        with Session(central_engine) as one, Session(other) as two:
            ids = select(Visit.id, Visit.checked_in_at, Visit.purpose).order_by(Visit.id)
            assert one.execute(ids).all() == two.execute(ids).all()
    finally:
        other.dispose()


def test_the_demo_site_shows_the_history_and_sync_sends_nothing_again(
    site_db: str, config: StationConfig, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Both databases from the conftest's template (at head): upgrade() has nothing to do.
    central_path = tmp_path / "central.db"
    assert config.resolve_url(config.central.url) == f"sqlite:///{central_path}"
    _copy(site_db.removeprefix("sqlite:///"), central_path)
    _prepare_databases(config, now=NOW)
    site_engine = make_engine(site_db)
    central_engine = make_engine(f"sqlite:///{central_path}")
    try:
        after_first = (_counts(site_engine), _counts(central_engine))
        assert after_first[0]["visits"] == after_first[1]["visits"] >= 2000
        assert after_first[0]["machine_sessions"] == after_first[1]["machine_sessions"] > 0

        # The demo's staff member opens staff mode with the PIN `station demo` prints.
        with Session(site_engine) as session:
            nadia = session.scalars(
                select(Member).where(Member.first_name == "Nadia", Member.last_name == "Benali")
            ).one()
            pin = check_pin(session, nadia, "1234", NOW, kiosk_id="entrance", site_id="demo")
            assert pin.accepted

        # The kiosk's "today" reads the site database: figures, and people in.
        with Session(site_engine) as session:
            today = tallies_today(session, config.site.id, config.site.timezone, NOW)
            by_month = entries(session, config.site.id, config.site.timezone, *WINDOW, ["month"])
        assert today.entries >= 10 and today.in_now > 0 and today.by_purpose
        assert len([row for row in by_month if row.count > 0]) >= 3

        # `station report` (site database) with its defaults: months, days, machines.
        base = ["--config", str(config.source), "--json", "report"]
        assert main([*base, "entries", "--by", "month", "--to", "2026-11-25"]) == 0
        months = json.loads(capsys.readouterr().out)["rows"]
        assert len([r for r in months if r["entries"] >= 100]) >= 3
        assert main([*base, "entries", "--by", "day", "--to", "2026-11-25"]) == 0
        days = json.loads(capsys.readouterr().out)["rows"]
        assert len(days) >= 20 and all(r["entries"] > 0 for r in days)
        assert main([*base, "usage", "--by", "machine", "--to", "2026-11-25"]) == 0
        machines = {r["machine"] for r in json.loads(capsys.readouterr().out)["rows"]}
        assert machines == {"laser-cutter", "printer-3d"}

        # Sync finds nothing to send either way, and nothing refused.
        up = sync_up(site_engine, central_engine, config.site.id, batch_size=1000)
        assert (up.history, up.registry, up.rejected) == (0, 0, 0)
        down = sync_down(site_engine, central_engine, batch_size=1000, site_id=config.site.id)
        assert down.applied == 0

        # `station demo` a second time adds nothing, at either end.
        _prepare_databases(config, now=NOW + dt.timedelta(days=1))
        assert (_counts(site_engine), _counts(central_engine)) == after_first

        # The purge works on them: past retention, visits lose who, tallies stay.
        for engine, site_id, uploaded_only in (
            (site_engine, config.site.id, True),
            (central_engine, None, False),
        ):
            with Session(engine) as session, session.begin():
                before = _kept_figures(session, config)
                result = purge(
                    session,
                    site_id,
                    config.retention.movement_days,
                    config.retention.visitor_days,
                    zone=ZoneInfo(config.site.timezone),
                    now=NOW,
                    uploaded_only=uploaded_only,
                )
                assert result.visits_deleted > 0
                assert result.sessions_deleted > 0
                oldest = session.scalar(select(func.min(Visit.checked_in_at)))
                assert oldest is not None
                assert oldest >= NOW - dt.timedelta(days=config.retention.movement_days + 1)
                assert _kept_figures(session, config) == before
    finally:
        site_engine.dispose()
        central_engine.dispose()


def _kept_figures(session: Session, config: StationConfig) -> list[object]:
    """What the aggregates say of the whole history, but the distinct counts (those
    need the rows, and say so once they are gone)."""
    zone = ZoneInfo(config.site.timezone)
    first, last = (moment.astimezone(zone).date() for moment in WINDOW)
    connection = session.connection()
    tables = [
        entries_table(connection, config.site.id, first, last, dims, zone).with_measures(
            (Measure.ENTRIES, Measure.MEMBERS, Measure.VISITORS, Measure.MEDIAN_MINUTES)
        )
        for dims in (["commune", "kind", "month"], ["weekday", "hour"], ["purpose"])
    ] + [
        usage_table(
            connection, config.site.id, first, last, ["machine", "month"], zone
        ).with_measures((Measure.SESSIONS, Measure.HOURS))
    ]
    return [(table.rows, table.totals) for table in tables]
