"""The tallies benchmark's purge: the first purge of five years at central and the daily
purge of the days after, each beside its floor (the same effects as plain set
statements). Run by bench/bench_tallies.py (`--only purge`)."""

from __future__ import annotations

import datetime as dt
import functools
import statistics
import time
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session
from sqlalchemy.pool import NullPool

from bench.tallies_history import NOW
from station.config import StationConfig
from station.db import Member, MemberKind, Visit, make_engine
from station.people import freeze_before_purge
from station.privacy import ERASED, forget
from station.retention import STEPS, Scope, purge
from sync import central

Row = tuple[str, int, float, float]  # measure, n, value, floor (seconds)


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


PURGE_FLOOR = (
    # The same effects as the purge's steps, as plain set statements (no per-visitor
    # loop, the rows deleted up to the cutoff rather than to a whole local day): what
    # the database alone needs.
    "UPDATE members SET first_name = :erased, last_name = '', email = NULL, "
    "home_commune = NULL, last_purpose = NULL, consent_at = NULL, deleted_at = :now "
    "WHERE kind = 'visitor' AND deleted_at IS NULL AND created_at < :stale AND NOT EXISTS "
    "(SELECT 1 FROM visits v WHERE v.member_id = members.id AND v.checked_in_at >= :stale)",
    "DELETE FROM visits WHERE checked_in_at < :cutoff",
    "DELETE FROM access_events WHERE at < :cutoff",
    "DELETE FROM machine_sessions WHERE started_at < :cutoff",
    "DELETE FROM sync_rejections WHERE at < :cutoff",
)


def bench_purge(
    engine: Engine, server: str, url: str, config: StationConfig, days: int, sample: int
) -> list[Row]:
    """The first purge on five years (everything past retention at once), rolled back;
    then the daily purge of each following day on a copy of central already purged
    until the day before (its statements committed there, then VACUUM)."""
    retention = config.retention
    factory = central.sessions(engine)
    zone = ZoneInfo(config.site.timezone)
    scope = Scope(
        None,
        zone,
        NOW,
        cutoff=NOW - dt.timedelta(days=retention.movement_days),
        stale=NOW - dt.timedelta(days=retention.visitor_days),
        uploaded_only=False,
    )
    with factory() as session:
        session.begin()
        catch_floor = timed(functools.partial(_purge_floor, session, config, NOW))
        session.rollback()
    print(f"  first purge, floor: {catch_floor:.1f} s")
    spent: dict[str, float] = {}
    with factory() as session:
        session.begin()
        stale = session.scalars(_stale_visitors(scope)).all()
        # Each forgetting scans access_events and machine_sessions (no index on their
        # member_id): forgetting them all takes hours at full size, so a sample is timed.
        each = [timed(functools.partial(_forget, session, v)) for v in stale[:sample]]
        spent["visitors_forgotten"] = statistics.median(each) * len(stale) if each else 0.0
        spent["people frozen"] = timed(
            functools.partial(
                freeze_before_purge,
                session.connection(),
                None,
                zone,
                NOW,
                retention.movement_days,
            )
        )
        for name, step in STEPS:
            if name != "visitors_forgotten":
                spent[name] = timed(functools.partial(step, session, scope))
        session.rollback()
    catch_up = sum(spent.values())
    print(f"  first purge: {catch_up:.1f} s ({len(stale):,} visitors to forget)")
    engine.dispose()
    purged = make_engine(_purged_copy(server, url, config))
    daily: list[float] = []
    floor: list[float] = []
    with central.sessions(purged)() as session:
        session.begin()
        for day in range(1, days + 1):
            now = NOW + dt.timedelta(days=day)
            for call, times in ((_purge, daily), (_purge_floor, floor)):
                savepoint = session.begin_nested()
                times.append(timed(functools.partial(call, session, config, now)))
                savepoint.rollback()
        session.rollback()
    purged.dispose()
    forget_floor = _floor_forget_share(engine, config)
    return [
        (
            f"first purge at central, five years past retention (forgetting: {len(stale):,} "
            f"visitors x the median of {len(each)})",
            1,
            catch_up,
            catch_floor,
        ),
        (
            "of which forgetting one stale visitor: median",
            len(each),
            statistics.median(each) if each else 0.0,
            forget_floor / max(len(stale), 1),
        ),
        *(
            (f"of which {name}", 1, value, 0.0)
            for name, value in spent.items()
            if name != "visitors_forgotten"
        ),
        (
            "daily purge at central, the day after: median",
            days,
            statistics.median(daily),
            statistics.median(floor),
        ),
        ("daily purge: max", days, max(daily), max(floor)),
    ]


def _stale_visitors(scope: Scope) -> Any:
    """The visitors `_forget_stale_visitors` forgets, in one query (for the bench)."""
    recent = (
        select(Visit.id)
        .where(Visit.member_id == Member.id, Visit.checked_in_at >= scope.stale)
        .exists()
    )
    return select(Member).where(
        Member.kind == MemberKind.VISITOR,
        Member.deleted_at.is_(None),
        Member.created_at < scope.stale,
        ~recent,
    )


def _forget(session: Session, visitor: Member) -> None:
    forget(session, visitor, now=NOW)
    session.flush()


def _purge(session: Session, config: StationConfig, now: dt.datetime) -> None:
    retention = config.retention
    purge(
        session,
        None,
        retention.movement_days,
        retention.visitor_days,
        zone=ZoneInfo(config.site.timezone),
        now=now,
        uploaded_only=False,
    )
    session.flush()


def _purge_floor(session: Session, config: StationConfig, now: dt.datetime) -> None:
    values = {
        "erased": ERASED,
        "now": now,
        "cutoff": now - dt.timedelta(days=config.retention.movement_days),
        "stale": now - dt.timedelta(days=config.retention.visitor_days),
    }
    for statement in PURGE_FLOOR:
        session.execute(text(statement), values)


def _floor_forget_share(engine: Engine, config: StationConfig) -> float:
    """The floor's forgetting statement alone, on the whole history (rolled back)."""
    with engine.connect() as connection, connection.begin() as transaction:
        values = {
            "erased": ERASED,
            "now": NOW,
            "stale": NOW - dt.timedelta(days=config.retention.visitor_days),
        }
        spent = timed(functools.partial(connection.execute, text(PURGE_FLOOR[0]), values))
        transaction.rollback()
    return spent


def _purged_copy(server: str, url: str, config: StationConfig) -> str:
    """A copy of central as the daily purge leaves it the morning of NOW (kept)."""
    source = make_url(url).database
    name = f"{source}_purged3"  # 3: rows deleted, not unlinked
    admin = create_engine(server, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as connection:
        exists = connection.execute(
            text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).scalar()
        if not exists:
            started = time.perf_counter()
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
            copy = make_url(url).set(database=name).render_as_string(hide_password=False)
            engine = create_engine(copy, poolclass=NullPool)
            with Session(engine) as session, session.begin():
                _purge_floor(session, config, NOW)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("VACUUM ANALYZE"))
            engine.dispose()
            print(f"  central purged until {NOW:%Y-%m-%d} in {time.perf_counter() - started:.0f} s")
    admin.dispose()
    return make_url(url).set(database=name).render_as_string(hide_password=False)
