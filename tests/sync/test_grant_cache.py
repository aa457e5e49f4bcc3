"""The compiler's quick road (sync/grant_cache.py): a change of a few members' rows
compiled from those rows alone gives exactly what reading the whole registry gives,
and whatever it cannot follow goes the whole way."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from station import registry
from station.config import StationConfig
from station.credential import Credential
from station.db import Badge, Member, MemberKind, Membership, Training
from station.seed import seed_site
from sync.compiler import GrantCompiler, Snapshot
from tests.sync.grant_site import DAY, NOW, config, site

Change = Callable[[Session, StationConfig], None]

__all__ = ["config", "site"]  # fixtures, used by name


def _member(session: Session, n: int) -> Member:
    found = session.scalar(select(Member).where(Member.first_name == f"P{n}"))
    assert found is not None
    return found


def _badge(session: Session, config: StationConfig, n: int) -> Badge:
    return registry.find_badge(session, f"04C0{n:04X}", config.badge_key)


def _revoke(session: Session, config: StationConfig) -> None:
    registry.revoke_badge(session, _badge(session, config, 0))


def _newcomer(session: Session, config: StationConfig) -> None:
    member = registry.add_member(session, "Zoé", today=DAY, membership_until=dt.date(2030, 1, 1))
    registry.enroll_badge(session, member, Credential.uid("04C0FFFF"), config.badge_key)
    registry.grant_training(session, member, "laser", now=NOW)


def _untrain(session: Session, _config: StationConfig) -> None:
    registry.revoke_training(session, _member(session, 2), "laser")


def _member_deleted(session: Session, _config: StationConfig) -> None:
    _member(session, 4).deleted_at = NOW


def _badge_handed_over(session: Session, config: StationConfig) -> None:
    _badge(session, config, 6).member_id = _member(session, 1).id  # trained -> untrained


def _plan_without_window(session: Session, _config: StationConfig) -> None:
    for membership in session.scalars(
        select(Membership).where(Membership.member_id == _member(session, 3).id)
    ):
        membership.plan = "visitor"


def _made_staff(session: Session, _config: StationConfig) -> None:
    _member(session, 5).kind = MemberKind.STAFF


def _second_badge(session: Session, config: StationConfig) -> None:
    registry.enroll_badge(
        session, _member(session, 0), Credential.uid("04C0EEEE"), config.badge_key
    )


CHANGES: dict[str, Change] = {
    "badge revoked": _revoke,
    "newcomer, trained": _newcomer,
    "training revoked": _untrain,
    "member deleted": _member_deleted,
    "badge handed to another member": _badge_handed_over,
    "plan without a window": _plan_without_window,
    "made staff": _made_staff,
    "a second badge": _second_badge,
}


def _whole(config: StationConfig, site: Engine) -> dict[str, Snapshot]:
    """What a compiler that reads everything makes of the site (a restarted sync)."""
    return {s.agent_id: s for s in GrantCompiler(config).refresh(site)}


def test_each_change_compiled_alone_gives_what_the_whole_registry_gives(
    site: Engine, config: StationConfig
) -> None:
    compiler = GrantCompiler(config)
    compiler.refresh(site)
    for name, change in CHANGES.items():
        with Session(site) as session, session.begin():
            change(session, config)
        changed = compiler.refresh(site)
        assert changed, name
        assert all(s.payload is None and s.delta is not None for s in changed), name
        whole = _whole(config, site)
        for agent_id, snapshot in compiler.current.items():
            expected = whole[agent_id]
            assert snapshot.version == expected.version, (name, agent_id)
            assert snapshot.grants_digest == expected.grants_digest, (name, agent_id)
            assert dict(snapshot.entries) == dict(expected.entries), (name, agent_id)


def test_a_change_no_agent_sees_makes_no_version(site: Engine, config: StationConfig) -> None:
    compiler = GrantCompiler(config)
    compiler.refresh(site)
    with Session(site) as session, session.begin():
        _member(session, 1).email = "p1@example.org"  # not a fact of the grants
    assert compiler.refresh(site) == []


def _body(snapshot: Snapshot) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(snapshot.whole)["body"]
    return body


def test_settling_builds_the_snapshot_of_the_same_version(
    site: Engine, config: StationConfig
) -> None:
    compiler = GrantCompiler(config)
    compiler.refresh(site)
    with Session(site) as session, session.begin():
        _revoke(session, config)
    quick = {s.agent_id: s for s in compiler.refresh(site)}
    assert sorted(compiler.unsettled) == sorted(quick)
    settled = {s.agent_id: s for s in compiler.refresh(site, settle=True)}
    assert {a: s.version for a, s in settled.items()} == {a: s.version for a, s in quick.items()}
    assert all(s.payload is not None and s.delta is None for s in settled.values())
    assert compiler.unsettled == []
    assert compiler.refresh(site, settle=True) == []  # nothing left to build


def test_settling_signs_the_cached_entries_without_reading_the_registry(
    site: Engine, config: StationConfig
) -> None:
    compiler = GrantCompiler(config)
    compiler.refresh(site)
    for change in (_revoke, _newcomer, _untrain):
        with Session(site) as session, session.begin():
            change(session, config)
        compiler.refresh(site)
    settled = compiler.refresh(site, settle=True)
    assert settled
    assert compiler.full_readings == 1  # the first reading only
    whole = _whole(config, site)
    for snapshot in settled:
        expected = _body(whole[snapshot.agent_id])
        body = _body(snapshot)
        assert body["version"] == expected["version"]
        assert body["grants"] == expected["grants"], snapshot.agent_id
        assert body["resource"] == expected["resource"]


def test_settling_reads_the_whole_registry_again_once_reconciling_is_due(
    site: Engine, config: StationConfig
) -> None:
    moment = [0.0]
    compiler = GrantCompiler(config, clock=lambda: moment[0], reconcile_s=600.0)
    compiler.refresh(site)
    for at, badge, readings in ((10.0, 1, 1), (700.0, 2, 2), (710.0, 3, 2)):
        moment[0] = at
        with Session(site) as session, session.begin():
            registry.revoke_badge(session, _badge(session, config, badge))
        before = compiler.full_readings
        assert compiler.refresh(site)
        assert compiler.full_readings == before  # a delta never waits for a full reading
        assert compiler.refresh(site, settle=True)
        assert compiler.full_readings == readings, at


@pytest.mark.parametrize("what", ["a badge deleted outright", "a training's row changed"])
def test_what_the_cache_cannot_follow_goes_the_whole_way(
    site: Engine, config: StationConfig, what: str
) -> None:
    compiler = GrantCompiler(config)
    first = {s.agent_id: s.version for s in compiler.refresh(site)}
    with Session(site) as session, session.begin():
        if what == "a badge deleted outright":  # no tombstone: only the count tells
            session.delete(_badge(session, config, 0))
        else:  # with a badge revoked: the versions show which road was taken
            training = session.get(Training, "laser")
            assert training is not None
            training.name_en = "Laser cutter (renewed)"
            _revoke(session, config)
    changed = compiler.refresh(site)
    assert changed and all(s.payload is not None for s in changed)
    assert all(s.version == first[s.agent_id] + 1 for s in changed)


def test_a_reading_made_before_a_change_is_brought_up_to_date(
    site: Engine, config: StationConfig
) -> None:
    """A reading made in the background, a revocation sent as a delta meanwhile: taking
    the reading in makes no new version (the content is the same; it builds the whole
    snapshot of the delta's) and leaves a cache that compiles the next change exactly
    as the whole registry gives it."""
    compiler = GrantCompiler(config)
    compiler.refresh(site)
    reading = compiler.read_whole(site)
    with Session(site) as session, session.begin():
        _revoke(session, config)
    versions = {s.agent_id: s.version for s in compiler.refresh(site)}
    assert versions
    settled = compiler.adopt(site, reading)
    assert settled is not None
    assert {s.agent_id: s.version for s in settled} == versions
    assert compiler.unsettled == []
    assert compiler.full_readings == 2
    with Session(site) as session, session.begin():
        _untrain(session, config)
    assert all(s.payload is None for s in compiler.refresh(site))  # the quick road
    whole = _whole(config, site)
    for agent_id, snapshot in compiler.current.items():
        assert dict(snapshot.entries) == dict(whole[agent_id].entries), agent_id
        assert snapshot.version == whole[agent_id].version


def test_a_change_the_cache_missed_shows_when_a_reading_is_taken_in(
    site: Engine, config: StationConfig
) -> None:
    """A badge written with an old `updated_at` and no revision (by hand, a tool): the
    quick road cannot see it; the next whole reading gives a new version carrying it."""
    compiler = GrantCompiler(config)
    first = {s.agent_id: s.version for s in compiler.refresh(site)}
    with Session(site) as session, session.begin():
        badge = registry.enroll_badge(
            session, _member(session, 0), Credential.uid("04C0DDDD"), config.badge_key
        )
        session.flush()
        badge.updated_at = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert compiler.refresh(site) == []  # missed
    changed = compiler.adopt(site, compiler.read_whole(site))
    assert changed
    hash_ = Credential.uid("04C0DDDD").keyed_hash(config.badge_key)
    for snapshot in changed:
        assert snapshot.version == first[snapshot.agent_id] + 1
        assert snapshot.payload is not None and snapshot.delta is not None
        assert hash_ in snapshot.entries


def test_a_reading_outdated_by_a_change_it_cannot_follow_is_declined(
    site: Engine, config: StationConfig
) -> None:
    compiler = GrantCompiler(config)
    compiler.refresh(site)
    reading = compiler.read_whole(site)
    with Session(site) as session, session.begin():
        session.delete(_badge(session, config, 0))  # gone outright: only the count tells
    assert compiler.adopt(site, reading) is None
    assert compiler.full_readings == 1
    assert compiler.refresh(site)  # read again, the whole way
    assert compiler.full_readings == 2


def test_the_first_member_of_an_empty_site_goes_by_the_quick_road(
    site_engine: Engine, config: StationConfig
) -> None:
    """Tables empty at the last reading have no highest `updated_at` to compare with:
    every row in them is new (a new site's first sign-up at the kiosk)."""
    with Session(site_engine) as session, session.begin():
        seed_site(session, config)
    compiler = GrantCompiler(config)
    compiler.refresh(site_engine)
    with Session(site_engine) as session, session.begin():
        _newcomer(session, config)
    changed = compiler.refresh(site_engine)
    assert changed and all(s.payload is None and s.delta is not None for s in changed)
    hash_ = Credential.uid("04C0FFFF").keyed_hash(config.badge_key)
    whole = _whole(config, site_engine)
    for agent_id, snapshot in compiler.current.items():
        assert dict(snapshot.entries) == dict(whole[agent_id].entries), agent_id
    assert any(hash_ in s.entries for s in changed)
