"""Grant snapshots: the same facts as station.access, versioned only on change."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.access import lookup
from station.config import StationConfig, load_config
from station.credential import Credential
from station.db import Badge, MemberKind, Resource
from station.keystore import KeyStore
from station.protocol.grants import entry_from_json, resource_from_json
from station.seed import seed_site
from sync.compiler import GrantCompiler, compile_entries
from tests.support.keys import read_site_snapshot


@pytest.fixture
def config(config_factory: Callable[..., Path]) -> StationConfig:
    return load_config(config_factory())


@pytest.fixture
def seeded(site_engine: Engine, config: StationConfig) -> Engine:
    key = config.badge_key
    with Session(site_engine) as session, session.begin():
        seed_site(session, config)
        alice = registry.add_member(session, "Alice", membership_until=dt.date(2030, 1, 1))
        registry.enroll_badge(session, alice, Credential.uid("04000001"), key)
        registry.grant_training(session, alice, "laser")
        bob = registry.add_member(session, "Bob", membership_until=dt.date(2020, 1, 1))
        lost = registry.enroll_badge(session, bob, Credential.uid("04000002"), key)
        registry.revoke_badge(session, lost)
        registry.enroll_badge(session, bob, Credential.uid("04000003"), key)
        staff = registry.add_member(session, "Sam", kind=MemberKind.STAFF)
        registry.enroll_badge(session, staff, Credential.uid("04000004"), key)
        gone = registry.add_member(session, "Gone")
        registry.enroll_badge(session, gone, Credential.uid("04000005"), key)
        gone.deleted_at = dt.datetime.now(dt.UTC)
    return site_engine


def test_entries_agree_with_the_kiosks_facts(seeded: Engine) -> None:
    with Session(seeded) as session:
        entries = compile_entries(session.connection())
        hashes = list(session.scalars(select(Badge.hash)))
        for badge_hash in hashes:
            found = lookup(session, badge_hash)
            if found is None:
                assert badge_hash not in entries  # a deleted member's badge is dropped
                continue
            facts, _badge = found
            got = entry_from_json(entries[badge_hash])
            assert got.revoked == facts.revoked and got.staff == facts.staff
            assert sorted(got.memberships, key=str) == sorted(facts.memberships, key=str)
            assert dict(got.trainings) == dict(facts.trainings)
    assert len(entries) == 4 and sum(e["revoked"] for e in entries.values()) == 1


def test_versions_change_only_with_content(seeded: Engine, config: StationConfig) -> None:
    compiler = GrantCompiler(config)
    first = compiler.refresh(seeded)
    assert sorted(s.agent_id for s in first) == sorted(config.agents)
    assert {s.version for s in first} == {1}
    held = {"front-door": 4, "laser-cutter": 2, "printer-3d": 1}  # only whom each may grant
    for snapshot in first:
        body = read_site_snapshot(config, snapshot.whole, snapshot.agent_id)
        assert len(body["grants"]) == held[snapshot.agent_id]
        resource = resource_from_json(body["resource"])
        assert resource.code == config.agents[snapshot.agent_id].resource
    assert compiler.refresh(seeded) == []  # nothing changed
    # A machine put out of order concerns that machine's agent only.
    with Session(seeded) as session, session.begin():
        laser = session.scalars(select(Resource).where(Resource.code == "laser-cutter")).one()
        laser.out_of_order = True
    changed = compiler.refresh(seeded)
    assert [(s.agent_id, s.version) for s in changed] == [("laser-cutter", 2)]
    # A badge revoked concerns every agent that holds it: not the printer, which
    # Alice (untrained there) is absent from.
    with Session(seeded) as session, session.begin():
        badge = registry.find_badge(session, "04000001", config.badge_key)
        registry.revoke_badge(session, badge)
    changed = compiler.refresh(seeded)
    assert {s.agent_id: s.version for s in changed} == {"front-door": 2, "laser-cutter": 3}
    # A restart republishes the same versions; nothing is reused or skipped.
    again = GrantCompiler(config).refresh(seeded)
    assert {s.agent_id: s.version for s in again} == {
        "front-door": 2,
        "laser-cutter": 3,
        "printer-3d": 1,
    }


def test_an_agent_ahead_of_the_site_gets_a_newer_version(
    seeded: Engine, config: StationConfig
) -> None:
    compiler = GrantCompiler(config)
    compiler.refresh(seeded)
    compiler.raise_floor("front-door", 41)  # e.g. the site database was restored
    changed = compiler.refresh(seeded)
    assert [(s.agent_id, s.version) for s in changed] == [("front-door", 42)]


def test_a_local_change_is_seen_even_if_centrals_clock_is_ahead(
    site_engine: Engine, central_engine: Engine, config: StationConfig
) -> None:
    from sync import central
    from sync.down import sync_down

    with Session(site_engine) as session, session.begin():
        seed_site(session, config)
    with central.session(central_engine) as db:
        for uid in ("04AB0001", "04AB0002"):
            member = registry.add_member(db, "Ahead", membership_until=dt.date(2030, 1, 1))
            badge = registry.enroll_badge(db, member, Credential.uid(uid), config.badge_key)
            db.flush()
            badge.updated_at = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)  # a clock far ahead
    sync_down(site_engine, central_engine, batch_size=10)
    compiler = GrantCompiler(config)
    compiler.refresh(site_engine)
    with Session(site_engine) as session, session.begin():  # staff revoke it at the desk
        badge = registry.find_badge(session, "04AB0001", config.badge_key)
        registry.revoke_badge(session, badge, origin_site=config.site.id)
    changed = compiler.refresh(site_engine)
    # The door is the one agent holding the badge (untrained: the machines never had it).
    assert [s.agent_id for s in changed] == ["front-door"]


def test_a_version_is_published_only_once_it_is_stored(
    seeded: Engine, config: StationConfig
) -> None:
    """If the site database cannot commit the new version, nothing goes out: an agent
    holding a version the site forgot would refuse the next snapshot under that
    number as stale, and a revocation would wait for the change after."""
    from sqlalchemy import event
    from sqlalchemy.exc import OperationalError

    compiler = GrantCompiler(config)
    compiler.refresh(seeded)
    with Session(seeded) as session, session.begin():  # staff's badge: every agent holds it
        badge = registry.find_badge(session, "04000004", config.badge_key)
        registry.revoke_badge(session, badge)

    def locked(connection: object) -> None:
        raise OperationalError("COMMIT", {}, Exception("database is locked"))

    sent: list[tuple[str, int]] = []
    event.listen(seeded, "commit", locked)
    try:
        with pytest.raises(OperationalError):
            compiler.refresh(seeded, on_snapshot=lambda s: sent.append((s.agent_id, s.version)))
    finally:
        event.remove(seeded, "commit", locked)
    assert sent == []
    changed = compiler.refresh(seeded, on_snapshot=lambda s: sent.append((s.agent_id, s.version)))
    assert {s.agent_id: s.version for s in changed} == dict.fromkeys(config.agents, 2)
    assert sent == [(s.agent_id, s.version) for s in changed]


def test_revoking_a_kiosk_or_rotating_the_site_key_gives_every_agent_a_new_snapshot(
    seeded: Engine, config: StationConfig
) -> None:
    """The trust list is content: no database change is needed for it to be published."""
    t0 = dt.datetime(2026, 3, 29, 0, 30, tzinfo=dt.UTC)  # the night clocks go forward
    moment = [t0]
    store = KeyStore(config.keys_dir)
    compiler = GrantCompiler(config, keys=store, wall=lambda: moment[0])
    first = {s.agent_id: s for s in compiler.refresh(seeded)}
    assert compiler.refresh(seeded) == []
    old = store.signer(t0)
    assert json.loads(first["front-door"].whole)["key"] == old.key_id

    store.revoke_kiosk("entrance")
    revoked = {s.agent_id: s for s in compiler.refresh(seeded)}
    assert set(revoked) == set(config.agents)
    body = read_site_snapshot(config, revoked["front-door"].whole, "front-door")
    holders = {key["holder"] for key in body["trust"]["issuers"]}
    assert holders == {"site"}

    new = store.rotate_site(t0, dt.timedelta(hours=2))
    announced = {s.agent_id: s for s in compiler.refresh(seeded)}
    assert set(announced) == set(config.agents)
    envelope = json.loads(announced["front-door"].whole)
    assert envelope["key"] == old.key_id  # the old key announces the new one
    assert {k["key"] for k in envelope["body"]["trust"]["site"]} == {
        old.verify_key.to_text(),
        new.verify_key.to_text(),
    }
    moment[0] = t0 + dt.timedelta(hours=2)  # the overlap is over: the new key signs
    switched = compiler.refresh(seeded)
    assert {s.agent_id for s in switched} == set(config.agents)
    assert {json.loads(s.whole)["key"] for s in switched} == {new.key_id}
    assert all(s.version == announced[s.agent_id].version + 1 for s in switched)
