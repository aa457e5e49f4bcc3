"""Each agent receives only the people it may ever grant (sync.audience), and staff."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from door_agent.store import AgentStore
from station import access, registry
from station.access import resource_facts
from station.config import StationConfig, load_config
from station.credential import Credential
from station.db import Member, MemberKind
from station.protocol.grant_deltas import read_delta
from station.protocol.status import AgentStatusMessage
from station.protocol.vocabulary import GrantState
from station.rules import (
    SECURE,
    UID,
    CredentialFacts,
    MembershipSpan,
    Reason,
    ResourceFacts,
    decide,
)
from station.schedule import Schedule
from station.seed import seed_site
from sync.audience import may_hold
from sync.compiler import GrantCompiler, Snapshot
from sync.grant_state import grant_state
from tests.support.keys import read_site_snapshot, site_trust

DAY = dt.date(2026, 1, 5)
NOW = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC)
PLANS = ("member", "resident", "visitor", "")
TRAININGS = ("laser", "printer-3d")

# -- the rule: whoever it leaves out, `decide` never grants ------------------------------

_spans = st.lists(
    st.builds(
        MembershipSpan,
        st.dates(dt.date(2025, 1, 1), dt.date(2027, 1, 1)),
        st.none() | st.dates(dt.date(2025, 1, 1), dt.date(2027, 1, 1)),
        st.sampled_from(PLANS),
    ),
    max_size=3,
)
_facts = st.builds(
    CredentialFacts,
    revoked=st.booleans(),
    staff=st.booleans(),
    memberships=_spans.map(tuple),
    trainings=st.dictionaries(
        st.sampled_from(TRAININGS),
        st.none()
        | st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 1, 1), timezones=st.just(dt.UTC)),
    ),
)
_resources = st.builds(
    ResourceFacts,
    code=st.just("r"),
    required_trainings=st.lists(st.sampled_from(TRAININGS), unique=True, max_size=2).map(tuple),
    plan_windows=st.none()
    | st.lists(st.sampled_from(PLANS), unique=True).map(
        lambda plans: dict.fromkeys(plans, Schedule.open_always())
    ),
)
_moments = st.datetimes(dt.datetime(2025, 1, 1), dt.datetime(2027, 1, 1), timezones=st.just(dt.UTC))


@given(_facts, _resources, st.lists(_moments, min_size=1, max_size=5))
def test_whoever_an_agent_does_not_hold_it_could_never_grant(
    facts: CredentialFacts, resource: ResourceFacts, moments: list[dt.datetime]
) -> None:
    """The resource is open at all hours, the badge presented both ways: still refused."""
    if may_hold(facts, resource):
        return
    assert not facts.staff
    for at in moments:
        for presented in (UID, SECURE):
            assert not decide(facts, resource, at, presented=presented).granted


def test_the_trained_the_lapsed_and_staff_are_held_the_rest_are_not() -> None:
    laser = ResourceFacts("laser", required_trainings=("laser",), plan_windows=None)
    lapsed = (MembershipSpan(dt.date(2020, 1, 1), dt.date(2020, 12, 31)),)
    expired = {"laser": dt.datetime(2021, 1, 1, tzinfo=dt.UTC)}
    assert may_hold(CredentialFacts(False, memberships=lapsed, trainings=expired), laser)
    assert not may_hold(CredentialFacts(False, memberships=lapsed), laser)  # never trained
    assert not may_hold(CredentialFacts(False, trainings=expired), laser)  # never a member
    assert may_hold(CredentialFacts(True, staff=True), laser)  # staff: training_missing named
    door = ResourceFacts("door", plan_windows={"member": Schedule.open_always()})
    assert may_hold(CredentialFacts(True, memberships=(_span("member"),)), door)  # revoked
    assert not may_hold(CredentialFacts(False, memberships=(_span("visitor"),)), door)


def _span(plan: str) -> MembershipSpan:
    return MembershipSpan(dt.date(2026, 1, 1), None, plan)


# -- the compiler and an agent's cache ----------------------------------------------------


@pytest.fixture
def config(config_factory: Callable[..., Path]) -> StationConfig:
    return load_config(config_factory())


UIDS = {
    "alice": "04A10001",  # member, trained on the laser
    "tom": "04A10002",  # member, laser training expired
    "bob": "04A10003",  # member, untrained
    "vera": "04A10004",  # a visitor's plan: no window on any door or machine
    "nina": "04A10005",  # no membership at all
    "sam": "04A10006",  # staff, untrained
    "bob-lost": "04A10007",  # Bob's revoked badge
}


@pytest.fixture
def site(site_engine: Engine, config: StationConfig) -> Engine:
    key = config.badge_key
    with Session(site_engine) as session, session.begin():
        seed_site(session, config)

        def person(name: str, plan: str = "member", kind: MemberKind = MemberKind.MEMBER) -> Member:
            until = dt.date(2030, 1, 1) if kind is MemberKind.MEMBER and name != "nina" else None
            member = registry.add_member(
                session, name.title(), kind=kind, today=DAY, membership_until=until, plan=plan
            )
            registry.enroll_badge(session, member, Credential.uid(UIDS[name]), key)
            return member

        alice = person("alice")
        registry.grant_training(session, alice, "laser", now=NOW)
        tom = person("tom")
        registry.grant_training(session, tom, "laser", now=NOW - dt.timedelta(days=800))
        bob = person("bob")
        lost = registry.enroll_badge(session, bob, Credential.uid(UIDS["bob-lost"]), key)
        registry.revoke_badge(session, lost)
        person("vera", plan="visitor")
        person("nina")
        person("sam", kind=MemberKind.STAFF)
    return site_engine


def _held(config: StationConfig, snapshot: Snapshot, *, unknown_ok: bool = False) -> set[str]:
    """Whom a snapshot names (by their badge's hash when not one of `UIDS`)."""
    assert snapshot.payload is not None, "a delta alone: refresh(settle=True) builds it"
    grants = read_site_snapshot(config, snapshot.payload, snapshot.agent_id)["grants"]
    names = {Credential.uid(uid).keyed_hash(config.badge_key): name for name, uid in UIDS.items()}
    if not unknown_ok:
        assert set(grants) <= set(names)
    return {names.get(h, h) for h in grants}


def test_each_agent_holds_only_whom_it_may_grant(site: Engine, config: StationConfig) -> None:
    snapshots = {s.agent_id: s for s in GrantCompiler(config).refresh(site)}
    assert _held(config, snapshots["laser-cutter"]) == {"alice", "tom", "sam"}
    assert _held(config, snapshots["printer-3d"]) == {"sam"}
    assert _held(config, snapshots["front-door"]) == {"alice", "tom", "bob", "bob-lost", "sam"}


def test_the_bytes_per_agent_follow_whom_it_may_grant(site: Engine, config: StationConfig) -> None:
    with Session(site) as session, session.begin():
        for n in range(60):  # untrained members: the door's, not the machines'
            member = registry.add_member(
                session, f"M{n}", today=DAY, membership_until=dt.date(2030, 1, 1)
            )
            registry.enroll_badge(session, member, Credential.uid(f"05{n:06X}"), config.badge_key)
    snapshots = {s.agent_id: s for s in GrantCompiler(config).refresh(site)}
    held = {a: len(_held(config, s, unknown_ok=True)) for a, s in snapshots.items()}
    assert held == {"front-door": 65, "laser-cutter": 3, "printer-3d": 1}
    sizes = {a: len(s.whole) for a, s in snapshots.items()}
    # Each entry left out is bytes not sent: a hundred or more apiece.
    assert sizes["front-door"] - sizes["laser-cutter"] > 62 * 100
    assert sizes["laser-cutter"] - sizes["printer-3d"] > 2 * 100


def test_a_member_who_loses_their_last_training_is_refused_as_unknown(
    site: Engine, config: StationConfig, tmp_path: Path
) -> None:
    compiler = GrantCompiler(config)
    alice = Credential.uid(UIDS["alice"]).keyed_hash(config.badge_key)
    with AgentStore(tmp_path / "laser.db") as store:
        (first,) = [s for s in compiler.refresh(site) if s.agent_id == "laser-cutter"]
        store.apply(read_site_snapshot(config, first.whole, first.agent_id), first.whole)
        assert store.lookup(alice)[0] is not None
        with Session(site) as session, session.begin():
            member = registry.find_badge(session, UIDS["alice"], config.badge_key).member
            registry.revoke_training(session, member, "laser")
        # The change goes out as a delta at once; the whole snapshot waits for `settle`.
        (second,) = [s for s in compiler.refresh(site) if s.agent_id == "laser-cutter"]
        assert second.version == first.version + 1 and second.payload is None
        assert second.delta is not None
        body = read_delta(second.delta, "laser-cutter", site_trust(config).site, NOW, store.version)
        assert body["remove"] == [alice] and body["upsert"] == {}
        store.apply_delta(body)
        decision = store.decide(alice, NOW).decision
        assert (decision.granted, decision.reason) == (False, Reason.UNKNOWN_BADGE)
        assert store.grants_digest == second.grants_digest  # what the site meant it to hold
        # Read whole again, the registry gives the same version, now with its snapshot.
        (settled,) = [
            s for s in compiler.refresh(site, settle=True) if s.agent_id == "laser-cutter"
        ]
        assert (settled.version, settled.grants_digest) == (second.version, second.grants_digest)
        assert settled.delta is None and "alice" not in _held(config, settled)
    # The site database still knows her, and why the laser refuses her.
    with Session(site) as session:
        found = access.lookup(session, alice)
        assert found is not None
        laser = resource_facts(session, config, "laser-cutter")
        why = decide(found[0], laser, NOW)
    assert (why.reason, why.detail) == (Reason.TRAINING_MISSING, "laser")


def test_a_change_also_comes_as_a_delta_the_agents_store_applies(
    site: Engine, config: StationConfig, tmp_path: Path
) -> None:
    """A revocation and a lost training, each as a delta of one entry: the agent applies
    it to the snapshot it holds and reaches the site's digest."""
    with Session(site) as session, session.begin():
        for n in range(30):  # more trained members: the snapshot grows, the delta does not
            member = registry.add_member(
                session, f"T{n}", today=DAY, membership_until=dt.date(2030, 1, 1)
            )
            registry.enroll_badge(session, member, Credential.uid(f"06{n:06X}"), config.badge_key)
            registry.grant_training(session, member, "laser", now=NOW)
    compiler = GrantCompiler(config)
    laser = {s.agent_id: s for s in compiler.refresh(site)}["laser-cutter"]
    assert laser.delta is None and laser.payload is not None  # nothing before: the snapshot
    snapshot_bytes = len(laser.payload)
    alice = Credential.uid(UIDS["alice"]).keyed_hash(config.badge_key)
    tom = Credential.uid(UIDS["tom"]).keyed_hash(config.badge_key)
    with AgentStore(tmp_path / "laser.db") as store:
        store.apply(read_site_snapshot(config, laser.payload, laser.agent_id), laser.payload)
        for change in ("revoke tom", "alice untrained"):
            with Session(site) as session, session.begin():
                if change == "revoke tom":
                    registry.revoke_badge(
                        session, registry.find_badge(session, UIDS["tom"], config.badge_key)
                    )
                else:
                    member = registry.find_badge(session, UIDS["alice"], config.badge_key).member
                    registry.revoke_training(session, member, "laser")
            (laser,) = [s for s in compiler.refresh(site) if s.agent_id == "laser-cutter"]
            assert laser.delta is not None
            body = read_delta(
                laser.delta, "laser-cutter", site_trust(config).site, NOW, store.version
            )
            assert len(body["upsert"]) + len(body["remove"]) == 1
            assert len(laser.delta) < snapshot_bytes / 3 and laser.payload is None
            assert grant_state(laser, _status(store)) is GrantState.BEHIND
            store.apply_delta(body)
            assert (store.version, store.grants_digest) == (laser.version, laser.grants_digest)
            assert grant_state(laser, _status(store)) is GrantState.IN_STEP
        wrong = AgentStatusMessage.from_json(
            {**_status(store).to_json(), "grants_digest": "0" * 64}
        )
        assert grant_state(laser, wrong) is GrantState.DIVERGED
        assert store.decide(tom, NOW).decision.reason is Reason.BADGE_REVOKED
        assert store.decide(alice, NOW).decision.reason is Reason.UNKNOWN_BADGE
    restarted = GrantCompiler(config).refresh(site)  # a restart: the snapshot, no delta
    assert all(s.delta is None for s in restarted)


def _status(store: AgentStore) -> AgentStatusMessage:
    """What the agent's status says of its grants (door_agent/loop.py)."""
    return AgentStatusMessage.from_json(
        {"online": True, "grants_version": store.version, "grants_digest": store.grants_digest}
    )
