"""Staff PINs reach the sites but never the agents; the lock-out counts stay at the site."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from station import registry, staff_pin
from station.config import StationConfig, load_config
from station.credential import Credential
from station.db import AccessEvent, Member, MemberKind
from station.db.models import StaffPinFailure
from station.protocol.vocabulary import EventType
from station.seed import seed_site
from sync.compiler import GrantCompiler, compile_entries
from sync.down import sync_down
from sync.tables import DOWN_TABLES, HISTORY_MODELS, UP_REGISTRY_MODELS, table_of
from sync.up import sync_up

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def config(config_factory: Callable[..., Path]) -> StationConfig:
    return load_config(config_factory())


@pytest.fixture
def pin_hash(site_engine: Engine, config: StationConfig) -> str:
    """A site with a staff member holding a badge and a PIN; returns the PIN's hash."""
    with Session(site_engine) as session, session.begin():
        seed_site(session, config)
        sam = registry.add_member(session, "Sam", kind=MemberKind.STAFF)
        registry.enroll_badge(session, sam, Credential.uid("04000004"), config.badge_key)
        staff_pin.set_pin(session, sam, "482193")
        assert sam.staff_pin_hash is not None
        return sam.staff_pin_hash


def test_no_snapshot_holds_any_trace_of_a_pin(
    site_engine: Engine, config: StationConfig, pin_hash: str
) -> None:
    secret = pin_hash.rsplit("$", 1)[-1]  # the digest itself, whatever encloses it
    salt = pin_hash.rsplit("$", 2)[-2]
    with site_engine.connect() as connection:
        entries = compile_entries(connection)
    assert len(entries) == 1 and next(iter(entries.values()))["staff"] is True
    snapshots = GrantCompiler(config).refresh(site_engine)
    assert sorted(s.agent_id for s in snapshots) == sorted(config.agents)
    for text in [repr(entries), *(s.whole.decode() for s in snapshots)]:
        for trace in ("staff_pin", "pin_hash", "argon2", pin_hash, secret, salt):
            assert trace not in text


def test_setting_a_pin_gives_agents_no_new_version(
    site_engine: Engine, config: StationConfig, pin_hash: str
) -> None:
    compiler = GrantCompiler(config)
    first = {s.agent_id: s.version for s in compiler.refresh(site_engine)}
    with Session(site_engine) as session, session.begin():
        sam = session.scalars(select(Member)).one()
        staff_pin.set_pin(session, sam, "111111")
    # The row changed (so the compiler looks again) but no agent's content did.
    assert compiler.refresh(site_engine) == []
    assert {s.agent_id: s.version for s in compiler.current.values()} == first


@pytest.mark.postgres
def test_lock_out_counts_are_replicated_neither_way_but_the_lock_out_event_goes_up(
    site_engine: Engine, central_engine: Engine, config: StationConfig, pin_hash: str
) -> None:
    failures = table_of(StaffPinFailure)
    replicated = {t.name for t in DOWN_TABLES}
    replicated |= {table_of(m).name for m in (*UP_REGISTRY_MODELS, *HISTORY_MODELS)}
    assert failures.name not in replicated
    with Session(site_engine) as session, session.begin():
        sam = session.scalars(select(Member)).one()
        sam.dirty = True  # a staff member signed up here: the row itself goes up
        for _ in range(staff_pin.MAX_FAILURES):
            staff_pin.check_pin(session, sam, "0000", NOW, kiosk_id="kiosk-1", site_id="s")
    up = sync_up(site_engine, central_engine, config.site.id, batch_size=100)
    assert up.rejected == 0
    sync_down(site_engine, central_engine, batch_size=100)
    locked = select(func.count()).where(AccessEvent.type == EventType.STAFF_PIN_LOCKED)
    with central_engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(failures)) == 0
        assert connection.scalar(locked) == 1
    with site_engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(failures)) == 1
