"""The loop without a broker: reader faults, bad reads, and every failure on the
decision path denies."""

from __future__ import annotations

import logging
import time

import pytest
from gpiozero.pins.mock import MockFactory

from door_agent.agent import Agent
from hardware.readers import BadgePresented, BadgeRemoved, BadRead, ReaderState
from station.credential import Credential
from station.protocol import topics
from station.protocol.commands import make_command
from station.protocol.events import AgentEvent
from station.protocol.grants import make_snapshot
from station.protocol.keys import SigningKey
from station.protocol.vocabulary import Command
from station.rules import ResourceFacts
from tests.support.agents import SITE_AUTHOR, deliver, laser_snapshot, member_entry
from tests.support.keys import site_signer, site_trust


@pytest.fixture
def door(make_config):  # type: ignore[no-untyped-def]
    config = make_config({"agents": {"front-door": {"reader": {"debounce_s": 0}}}})
    agent = Agent(config, "front-door", pin_factory=MockFactory(), connect=False)
    yield agent
    agent.close()


def _events(agent: Agent) -> list[AgentEvent]:
    return [AgentEvent.decode(p) for _, _, p in agent.outbox.after(0, 10_000)]


def _tap(agent: Agent, uid: str) -> None:
    agent.loop.handle(BadgePresented("front-door", Credential.uid(uid), time.monotonic()))


def _grant(agent: Agent, uid: str) -> None:
    entries = {Credential.uid(uid).keyed_hash(agent.config.badge_key): member_entry()}
    deliver(
        agent,
        topics.GRANTS,
        make_snapshot(
            agent.config.site.id,
            "front-door",
            1,
            ResourceFacts("front-door"),
            entries,
            site_trust(agent.config),
            _key(agent),
        ),
    )


def _key(agent: Agent) -> SigningKey:
    return site_signer(agent.config)


def test_reader_fault_and_bad_read_are_events(door: Agent) -> None:
    now = time.monotonic()
    door.loop.handle(ReaderState("front-door", True, "simulated reader", now))
    door.loop.handle(ReaderState("front-door", False, "unplugged", now))
    door.loop.handle(ReaderState("front-door", True, "back", now))
    door.loop.handle(BadRead("front-door", "no UID in the answer", now))
    types = [(e.type, e.data.get("detail")) for e in _events(door)]
    assert ("reader_fault", "unplugged") in types
    assert ("reader_ok", "back") in types
    assert ("bad_read", "no UID in the answer") in types
    assert ("reader_ok", "simulated reader") not in types  # only after a fault
    assert door.loop.counters["bad_reads"] == 1
    assert not door.io.relay.is_on


def test_a_broken_cache_denies(door: Agent) -> None:
    _grant(door, "04000001")
    _tap(door, "04000001")
    assert door.io.relay.is_on  # the cache works: granted
    deliver(
        door,
        topics.COMMANDS,
        make_command(Command.LOCK, "front-door", _key(door), author=SITE_AUTHOR)[1],
    )
    assert not door.io.relay.is_on
    door.store._db().execute("DROP TABLE grants")  # the file is damaged under our feet
    _tap(door, "04000001")
    denied = [e for e in _events(door) if e.type == "denied"]
    assert [(e.reason, e.data.get("detail")) for e in denied] == [
        ("internal_error", "OperationalError")
    ]
    assert not door.io.relay.is_on


@pytest.fixture
def laser(make_config):  # type: ignore[no-untyped-def]
    config = make_config({"agents": {"laser-cutter": {"reader": {"debounce_s": 0}}}})
    agent = Agent(config, "laser-cutter", pin_factory=MockFactory(), connect=False)
    yield agent
    agent.close()


def test_the_badge_log_line_tells_the_final_decision(laser: Agent, caplog) -> None:
    """The cache grants, but the machine waits for a check: the log says denied, and
    why, as the event does (it said 'granted' before)."""
    deliver(laser, topics.GRANTS, laser_snapshot(laser, 1, "05000001"))
    badge = Credential.uid("05000001")
    now = time.monotonic()
    laser.loop.handle(BadgePresented("laser-cutter", badge, now))  # session
    laser.loop.handle(BadgeRemoved("laser-cutter", badge, now))  # ended: to check
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="door_agent.loop"):
        laser.loop.handle(BadgePresented("laser-cutter", badge, now))
    denied = [e for e in _events(laser) if e.type == "denied"]
    assert [(e.reason, e.data.get("detail")) for e in denied] == [
        ("resource_out_of_order", "to_check")
    ]
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("badge ")]
    assert len(lines) == 1
    assert "granted" not in lines[0]
    assert lines[0].endswith(": denied (resource_out_of_order: to_check)")
    assert not laser.io.relay.is_on


def test_the_version_in_force_is_recognised_before_its_signature_is_checked(
    laser: Agent, caplog
) -> None:
    """Once changes settle, the version the agent already holds from its deltas comes
    whole: it is passed over from its last bytes, never verified nor applied; a newer
    version with the same damage is still verified, and refused."""
    deliver(laser, topics.GRANTS, laser_snapshot(laser, 2, "05000001"))
    again = laser_snapshot(laser, 2, "05000002")
    damaged = again.replace(b'"grants":{', b'"grants":{"x":1,', 1)  # the signature fails
    with caplog.at_level(logging.DEBUG, logger="door_agent.loop"):
        deliver(laser, topics.GRANTS, damaged)
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert not [k for k in laser.loop.counters if k.startswith("grants_refused")]
    assert laser.store.version == 2
    badge = Credential.uid("05000002").keyed_hash(laser.config.badge_key)
    assert laser.store.lookup(badge) == (None, None)

    newer = laser_snapshot(laser, 3, "05000002").replace(b'"grants":{', b'"grants":{"x":1,', 1)
    deliver(laser, topics.GRANTS, newer)
    assert laser.loop.counters["grants_refused_bad_signature"] == 1
    assert laser.store.version == 2


def test_the_retained_snapshot_again_is_no_refusal(laser: Agent, caplog) -> None:
    """After a restart the broker re-delivers the version in force (signed again by a
    restarted sync): debug only, not counted nor reported; an older one is refused."""
    deliver(laser, topics.GRANTS, laser_snapshot(laser, 2, "05000001"))
    with caplog.at_level(logging.DEBUG, logger="door_agent.loop"):
        deliver(laser, topics.GRANTS, laser_snapshot(laser, 2, "05000002"))
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]
    assert not [e for e in _events(laser) if e.type == "grants_refused"]
    assert not [k for k in laser.loop.counters if k.startswith("grants_refused")]
    assert laser.store.lookup(Credential.uid("05000002").keyed_hash(laser.config.badge_key)) == (
        None,
        None,
    )  # the same version is not applied again

    caplog.clear()
    with caplog.at_level(logging.DEBUG, logger="door_agent.loop"):
        deliver(laser, topics.GRANTS, laser_snapshot(laser, 1, "05000002"))
    assert [r.levelno for r in caplog.records] == [logging.WARNING]
    refused = [e for e in _events(laser) if e.type == "grants_refused"]
    assert [(e.reason, e.data["version_in_force"]) for e in refused] == [("stale", 2)]
    assert laser.loop.counters["grants_refused_stale"] == 1
