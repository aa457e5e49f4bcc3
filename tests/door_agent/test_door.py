"""Door behaviour through the real loop: exit button, forced, held open, relock on close.

Time runs on an injected clock, so the held-open timer needs no waiting."""

from __future__ import annotations

import datetime as dt

from door_agent.actions import Emit, Indicate, SetRelay
from door_agent.door import Door
from door_agent.store import Lookup
from hardware.gpio.outputs import Pattern
from station.config.agents import DoorConfig
from station.protocol.vocabulary import EventType
from station.rules import Decision, Reason
from tests.support.agents import FakeClock, agent_overrides, member_entry
from tests.support.wait import wait_for

CONTACT, EXIT = 27, 22


def test_exit_button_forced_and_held_open(make_config, run_agent, make_site) -> None:
    config = make_config(
        agent_overrides(
            **{"front-door": {"door": {"unlock_s": 5, "held_open_s": 30, "pre_alarm_s": 10}}}
        )
    )
    site = make_site(config, "front-door")
    clock = FakeClock()
    agent = run_agent(config, "front-door", clock=clock)
    site.publish_grants(site.snapshot({agent.hash("04000001"): member_entry()}))
    site.wait_event("grants_applied")
    contact, exit_button = agent.pin(CONTACT), agent.pin(EXIT)
    contact.drive_low()  # door shut
    site.wait_event("door_closed")

    # Opened with no badge and no exit request: forced.
    contact.drive_high()
    forced = site.wait_event("door_forced")[0]
    assert forced.reason == "door_forced"
    wait_for(lambda: site.statuses[-1]["alarms"] == ["door_forced"], what="alarm in status")
    contact.drive_low()
    site.wait_event("door_closed", 2)

    # The exit button releases the strike; opening then is legitimate; closing relocks.
    exit_button.drive_low()
    exit_button.drive_high()
    site.wait_event("exit_request")
    wait_for(lambda: agent.relay, what="strike released by the exit button")
    contact.drive_high()
    site.wait_event("door_opened")
    contact.drive_low()
    site.wait_event("door_closed", 3)
    wait_for(lambda: not agent.relay, what="relocked on close")
    assert len(site.of_type("door_forced")) == 1

    # A granted badge, the door opened and left open: pre-alarm, then held open.
    agent.tap("04000001")
    site.wait_event("granted")
    contact.drive_high()
    site.wait_event("door_opened", 2)
    clock.advance(21)
    agent.settle()
    pre = site.wait_event("door_pre_alarm")
    assert not site.of_type("door_held_open")
    assert not agent.relay  # the pulse ended after unlock_s
    assert pre
    clock.advance(10)
    agent.settle()
    site.wait_event("door_held_open")
    assert agent.pattern() == "warning"
    contact.drive_low()
    site.wait_event("door_closed", 4)
    assert agent.pattern() == "off"


def test_lockdown_lets_only_staff_in_and_hold_open_holds(make_config, run_agent, make_site) -> None:
    config = make_config(agent_overrides(**{"front-door": {}}))
    site = make_site(config, "front-door")
    agent = run_agent(config, "front-door")
    site.publish_grants(
        site.snapshot(
            {
                agent.hash("04000001"): member_entry(),
                agent.hash("04000009"): member_entry(staff=True),
            }
        )
    )
    site.wait_event("grants_applied")
    assert site.wait_result(site.command("lockdown"))["ok"]
    agent.tap("04000001")
    assert site.wait_event("denied")[0].reason == Reason.LOCKDOWN.value
    agent.lift()
    agent.tap("04000009")
    site.wait_event("granted")
    wait_for(lambda: agent.relay, what="staff let in during lockdown")
    assert site.wait_result(site.command("lock"))["ok"]
    wait_for(lambda: not agent.relay, what="locked by command")
    # A lockdown is ended by `release` only, never as a side effect of hold-open.
    refused = site.wait_result(site.command("hold_open", args={"seconds": 600}))
    assert not refused["ok"] and refused["reason"] == "lockdown"
    assert not agent.relay
    assert site.wait_result(site.command("release"))["ok"]
    until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=2)
    assert site.wait_result(site.command("hold_open", args={"until": until.isoformat()}))["ok"]
    wait_for(lambda: agent.relay, what="held open for the event")
    site.wait_event("hold_open")
    bad = site.wait_result(site.command("hold_open", args={"seconds": -5}))
    assert not bad["ok"] and bad["reason"] == "bad_argument"
    assert site.wait_result(site.command("release"))["ok"]
    wait_for(lambda: not agent.relay, what="back to normal")
    wait_for(
        lambda: any(s.get("mode") == "normal" for s in site.statuses[-1:]),
        what="status says normal",
    )


def test_door_state_machine_alone() -> None:
    """The state machine is plain code: time is whatever the caller says."""
    door = Door(DoorConfig(unlock_s=5, held_open_s=30, pre_alarm_s=10), has_contact=True)
    assert door.contact(True, 0.0) == []  # first reading: no event
    granted = Decision(True, Reason.GRANTED)
    actions = door.badge(Lookup(granted, "m"), "h", 1.0)
    assert actions[0] == SetRelay(True) and Indicate(Pattern.GRANTED) in actions
    assert door.deadline() == 6.0
    assert door.tick(6.0) == [SetRelay(False)]
    opened = door.contact(False, 7.0)
    assert Emit(EventType.DOOR_FORCED, EventType.DOOR_FORCED) in opened
    assert door.deadline() == 27.0
    assert Emit(EventType.DOOR_PRE_ALARM) in door.tick(27.0)
    assert Emit(EventType.DOOR_HELD_OPEN, EventType.DOOR_HELD_OPEN) in door.tick(37.0)
    assert door.deadline() is None
    denied = door.badge(Lookup(Decision(False, Reason.UNKNOWN_BADGE)), "h", 40.0)
    assert not any(isinstance(a, SetRelay) for a in denied)
