"""Secure badges at a door and a machine, through the real loop and its simulated reader:
a secure credential, a plain UID and a failed secure read (with or without the card's
UID) are each decided by the policy, and every denial is a `denied` event with its reason."""

from __future__ import annotations

from typing import Any

from hardware.readers.sim import SimReader
from station.credential import Credential, CredentialKind, ReadFailure
from station.protocol.events import AgentEvent
from station.rules import ResourceFacts
from station.schedule import Schedule
from tests.support.agents import RunningAgent, Site, agent_overrides, member_entry
from tests.support.wait import wait_for

CARD = Credential(CredentialKind.SECURE, bytes.fromhex("00112233445566778899AABBCCDDEEFF"))
UID = "04A1B2C3D4E5F6"  # the same card's anti-collision UID, also enrolled as a plain badge
CAREFUL_UID = "04000077"  # a secure-only member's plain badge


def _reader(agent: RunningAgent) -> SimReader:
    reader = agent.agent.reader
    assert isinstance(reader, SimReader)
    return reader


def _entries(agent: RunningAgent, **entry: Any) -> dict[str, dict[str, Any]]:
    careful = member_entry(secure_only=True, member="careful", **entry)
    return {
        CARD.keyed_hash(agent.agent.config.badge_key): member_entry(member="camille", **entry),
        agent.hash(UID): member_entry(member="camille", **entry),
        agent.hash(CAREFUL_UID): careful,
    }


def _door(make_config, run_agent, make_site, *, secure: bool):  # type: ignore[no-untyped-def]
    config = make_config(agent_overrides(**{"front-door": {"reader": {"debounce_s": 0}}}))
    site = make_site(config, "front-door")
    agent = run_agent(config, "front-door")
    door = ResourceFacts("front-door", (), Schedule.open_always(), require_secure=secure)
    site.publish_grants(site.snapshot(_entries(agent), resource=door))
    site.wait_event("grants_applied")
    return site, agent


def _decisions(site: Site, count: int) -> list[AgentEvent]:
    wait_for(lambda: len(site.of_type("granted", "denied")) >= count, what=f"{count} decisions")
    return site.of_type("granted", "denied")


def test_a_door_requiring_secure_badges(make_config, run_agent, make_site) -> None:
    site, agent = _door(make_config, run_agent, make_site, secure=True)
    reader = _reader(agent)
    reader.present(CARD)
    reader.remove()
    agent.tap(UID)
    agent.lift()
    reader.fail(ReadFailure.AUTH_FAILED, Credential.uid(UID))  # a clone of Camille's card
    reader.fail(ReadFailure.BAD_READ)  # torn away mid-read: no UID either
    decisions = _decisions(site, 4)
    assert [(e.type, e.reason) for e in decisions] == [
        ("granted", "granted"),
        ("denied", "secure_required"),
        ("denied", "auth_failed"),
        ("denied", "bad_read"),
    ]
    assert [e.member for e in decisions[:3]] == ["camille"] * 3
    assert decisions[3].credential_hash is None
    # The reader's health still counts the two failed reads, with their reasons.
    wait_for(lambda: len(site.of_type("bad_read")) == 2, what="bad_read records")
    assert [e.data["reason"] for e in site.of_type("bad_read")] == ["auth_failed", "bad_read"]


def test_an_ordinary_door_falls_back_on_the_uid_unless_secure_only(
    make_config, run_agent, make_site
) -> None:
    site, agent = _door(make_config, run_agent, make_site, secure=False)
    reader = _reader(agent)
    # A DESFire of another system, enrolled by its UID: its secure read fails, its UID opens.
    reader.fail(ReadFailure.AUTH_FAILED, Credential.uid(UID))
    agent.tap(CAREFUL_UID)
    agent.lift()
    reader.fail(ReadFailure.AUTH_FAILED, Credential.uid(CAREFUL_UID))
    reader.fail(ReadFailure.BAD_READ, Credential.uid("04999999"))  # nobody's
    decisions = _decisions(site, 4)
    assert [(e.type, e.reason) for e in decisions] == [
        ("granted", "granted"),
        ("denied", "secure_required"),
        ("denied", "auth_failed"),
        ("denied", "bad_read"),
    ]


def test_a_machine_following_presence_never_starts_on_a_failed_read(
    make_config, run_agent, make_site
) -> None:
    machine = {"presence": True, "check_after_use": False}
    overrides = {"laser-cutter": {"machine": machine, "reader": {"debounce_s": 0}}}
    config = make_config(agent_overrides(**overrides))
    site = make_site(config, "laser-cutter")
    agent = run_agent(config, "laser-cutter")
    site.publish_grants(site.snapshot(_entries(agent, trainings=("laser",))))
    site.wait_event("grants_applied")
    # Its UID would pass here, but that card is never reported removed: no session.
    _reader(agent).fail(ReadFailure.AUTH_FAILED, Credential.uid(UID))
    [denied] = _decisions(site, 1)
    assert (denied.type, denied.reason) == ("denied", "auth_failed")
    assert not agent.relay
    agent.tap(UID)  # the plain badge, present on the reader: the session starts
    wait_for(lambda: agent.relay, what="the session on the plain badge")
