"""The grant/deny matrix at a door and at a machine: real broker, sim reader, mock pins."""

from __future__ import annotations

import logging

import pytest

from station.rules import Reason
from tests.support.agents import Site, agent_overrides, member_entry
from tests.support.wait import wait_for

DOOR_CASES = [
    ("04000001", member_entry(), True, Reason.GRANTED),
    ("04000002", None, False, Reason.UNKNOWN_BADGE),
    ("04000003", member_entry(revoked=True), False, Reason.BADGE_REVOKED),
    ("04000004", member_entry(membership=False), False, Reason.NO_VALID_MEMBERSHIP),
    ("04000005", member_entry(staff=True, membership=False), True, Reason.GRANTED),
]

MACHINE_CASES = [
    ("05000001", member_entry(trainings=("laser",)), True, Reason.GRANTED),
    ("05000002", member_entry(), False, Reason.TRAINING_MISSING),
    (
        "05000003",
        member_entry(trainings=("laser",), expired_training=True),
        False,
        Reason.TRAINING_EXPIRED,
    ),
    ("05000004", member_entry(trainings=("laser",), revoked=True), False, Reason.BADGE_REVOKED),
    ("05000005", None, False, Reason.UNKNOWN_BADGE),
    ("05000006", member_entry(staff=True), False, Reason.TRAINING_MISSING),  # safety: staff too
]


def _entries(site_agent, cases):  # type: ignore[no-untyped-def]
    return {site_agent.hash(uid): entry for uid, entry, _, _ in cases if entry is not None}


@pytest.mark.parametrize("uid,entry,granted,reason", DOOR_CASES)
def test_door_decides_each_case_from_its_cache(
    make_config, run_agent, make_site, uid, entry, granted, reason
) -> None:
    config = make_config(agent_overrides(**{"front-door": {}}))
    site: Site = make_site(config, "front-door")
    agent = run_agent(config, "front-door")
    site.publish_grants(site.snapshot(_entries(agent, DOOR_CASES)))
    site.wait_event("grants_applied")
    assert not agent.relay
    agent.tap(uid)
    event = site.wait_event("granted" if granted else "denied")[0]
    assert event.reason == reason.value
    assert event.credential_hash == agent.hash(uid)
    if granted:
        assert event.member == entry["member"]
        wait_for(lambda: agent.relay, what="strike released")
        assert agent.pattern() == "granted"
    else:
        agent.settle()
        assert not agent.relay
        assert all(state.state == 0 for state in agent.pin(17).states)
        assert agent.pattern() == "denied"


@pytest.mark.parametrize("uid,entry,granted,reason", MACHINE_CASES)
def test_machine_decides_each_case_from_its_cache(
    make_config, run_agent, make_site, uid, entry, granted, reason
) -> None:
    config = make_config(agent_overrides(**{"laser-cutter": {"machine": {"presence": False}}}))
    site: Site = make_site(config, "laser-cutter")
    agent = run_agent(config, "laser-cutter")
    site.publish_grants(site.snapshot(_entries(agent, MACHINE_CASES)))
    site.wait_event("grants_applied")
    agent.tap(uid)
    event = site.wait_event("granted" if granted else "denied")[0]
    assert event.reason == reason.value
    if granted:
        wait_for(lambda: agent.relay, what="machine powered")
        assert site.wait_event("session_started")[0].member == entry["member"]
        assert agent.pattern() == "in_use"
    else:
        agent.settle()
        assert not agent.relay
        assert agent.pattern() == "denied"
        if reason is Reason.TRAINING_MISSING:
            assert event.data["detail"] == "laser"


def test_no_grants_yet_denies_everyone(make_config, run_agent, make_site, caplog) -> None:
    """...and says why: a warning at start, the detail in each denial."""
    config = make_config(agent_overrides(**{"front-door": {}}))
    site = make_site(config, "front-door")
    with caplog.at_level(logging.WARNING, logger="door_agent.loop"):
        agent = run_agent(config, "front-door")
        site.wait_event("agent_started")
        agent.tap("04AABBCC")
        agent.lift()
        agent.tap("04AABBCD")
        events = site.wait_event("denied", 2)
        agent.settle()
    assert [(e.reason, e.data.get("detail")) for e in events] == [
        (Reason.INTERNAL_ERROR.value, "no grant snapshot received yet")
    ] * 2
    assert not agent.relay
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        warnings.count(
            "no grant snapshot received yet: every badge is denied until sync publishes one"
        )
        == 1
    )


def test_decides_offline_from_the_cache_kept_on_disk(
    make_config, run_agent, make_site, private_broker
) -> None:
    """Grants survive a restart, and decisions need no broker."""
    config = make_config(agent_overrides(**{"front-door": {}}), broker=private_broker.address)
    site = make_site(config, "front-door")
    first = run_agent(config, "front-door")
    site.publish_grants(site.snapshot({first.hash("04000001"): member_entry()}))
    site.wait_event("grants_applied")
    first.stop()
    private_broker.stop()
    second = run_agent(config, "front-door")
    second.tap("04000001")
    wait_for(lambda: second.relay, what="strike released with the broker down")
    second.tap("04000002")
    second.settle()
    assert second.call(lambda: second.agent.store.version) == 1
    assert second.agent.outbox.depth >= 3  # started, granted, denied: kept for later
