"""Machine sessions through the real loop: tap on/off, presence, idle timeout with
warning, max session with coast, ToCheck, Blocked, staff takeover."""

from __future__ import annotations

from door_agent.actions import SetRelay
from door_agent.machine import Machine
from door_agent.store import Lookup
from station.config.agents import MachineConfig
from station.protocol.vocabulary import MachineState
from station.rules import Decision, Reason
from tests.support.agents import FakeClock, agent_overrides, member_entry
from tests.support.wait import wait_for

BUSY = 23
MAKER, STAFF, UNTRAINED = "05000001", "05000009", "05000002"


def _laser(make_config, run_agent, make_site, **machine):  # type: ignore[no-untyped-def]
    settings = {
        "presence": True,
        "max_session_min": 180,
        "idle_timeout_min": 10,
        "warning_s": 60,
        "coast_s": 30,
        "check_after_use": True,
    }
    settings.update(machine)
    config = make_config(agent_overrides(**{"laser-cutter": {"machine": settings}}))
    site = make_site(config, "laser-cutter")
    clock = FakeClock()
    agent = run_agent(config, "laser-cutter", clock=clock)
    site.publish_grants(
        site.snapshot(
            {
                agent.hash(MAKER): member_entry(trainings=("laser",)),
                agent.hash(STAFF): member_entry(trainings=("laser",), staff=True),
                agent.hash(UNTRAINED): member_entry(),
            }
        )
    )
    site.wait_event("grants_applied")
    return site, agent, clock


def test_presence_session_then_to_check_cleared_by_staff(make_config, run_agent, make_site) -> None:
    site, agent, clock = _laser(make_config, run_agent, make_site)
    agent.tap(MAKER)
    started = site.wait_event("session_started")[0]
    assert agent.relay
    clock.advance(120)
    agent.lift()
    ended = site.wait_event("session_ended")[0]
    assert ended.reason == "badge_removed" and ended.member == started.member
    assert ended.data["duration_s"] == 120
    wait_for(lambda: not agent.relay, what="power cut when the badge is lifted")
    assert site.wait_event("machine_state", 2)[-1].data["state"] == "to_check"
    agent.tap(MAKER)
    denied = site.wait_event("denied")[0]
    assert (denied.reason, denied.data["detail"]) == (
        Reason.RESOURCE_OUT_OF_ORDER.value,
        "to_check",
    )
    agent.lift()
    agent.tap(STAFF)
    wait_for(
        lambda: site.of_type("machine_state")[-1].data["state"] == "free",
        what="staff cleared the check",
    )
    assert not agent.relay
    agent.lift()
    agent.tap(UNTRAINED)
    assert site.wait_event("denied", 2)[-1].reason == Reason.TRAINING_MISSING.value
    assert not agent.relay


def test_idle_timeout_warns_then_ends(make_config, run_agent, make_site) -> None:
    site, agent, clock = _laser(
        make_config, run_agent, make_site, presence=False, check_after_use=False
    )
    busy = agent.pin(BUSY)
    agent.tap(MAKER)
    site.wait_event("session_started")
    busy.drive_low()  # drawing current
    agent.settle()
    clock.advance(3600)  # busy: no idle timeout however long
    agent.settle()
    assert not site.of_type("session_warning", "session_ended")
    busy.drive_high()  # idle from now
    agent.settle()
    clock.advance(9 * 60 + 1)
    agent.settle()
    warning = site.wait_event("session_warning")[0]
    assert warning.reason == "idle_timeout"
    assert agent.pattern() == "warning"
    assert agent.relay
    busy.drive_low()  # back to work: the warning stops, the idle time starts again
    agent.settle()
    assert agent.pattern() == "in_use"
    busy.drive_high()
    agent.settle()
    clock.advance(9 * 60 + 1)
    agent.settle()
    site.wait_event("session_warning", 2)
    clock.advance(60)
    agent.settle()
    assert site.wait_event("session_ended")[0].reason == "idle_timeout"
    wait_for(lambda: not agent.relay, what="power cut after the idle timeout")


def test_max_session_coasts_while_busy(make_config, run_agent, make_site) -> None:
    site, agent, clock = _laser(
        make_config, run_agent, make_site, presence=False, check_after_use=False, max_session_min=60
    )
    agent.tap(MAKER)
    site.wait_event("session_started")
    agent.pin(BUSY).drive_low()
    agent.settle()
    clock.advance(59 * 60)
    agent.settle()
    assert site.wait_event("session_warning")[0].reason == "max_session"
    clock.advance(60)
    agent.settle()
    assert site.wait_event("session_ended")[0].reason == "max_session"
    assert agent.relay  # still busy: coasting
    clock.advance(30)
    agent.settle()
    wait_for(lambda: not agent.relay, what="power cut after the coast time")


def test_blocked_machine_stays_off_whatever_comes(make_config, run_agent, make_site) -> None:
    site, agent, _ = _laser(make_config, run_agent, make_site, check_after_use=False)
    agent.tap(MAKER)
    site.wait_event("session_started")
    assert site.wait_result(site.command("block"))["ok"]
    wait_for(lambda: not agent.relay, what="blocked: power off")
    changes_when_blocked = len(agent.pin(17).states)
    assert site.wait_event("session_ended")[0].reason == "power_off"
    agent.lift()
    agent.tap(STAFF)
    assert site.wait_event("denied")[0].reason == Reason.RESOURCE_OUT_OF_ORDER.value
    refused = site.wait_result(site.command("unlock_once"))
    assert (refused["ok"], refused["reason"]) == (False, "not_applicable")
    for name in ("end_session", "clear_check", "refresh_status"):
        assert site.wait_result(site.command(name))["ok"]
    agent.settle()
    assert not agent.relay
    assert len(agent.pin(17).states) == changes_when_blocked  # never switched on since
    assert site.wait_result(site.command("unblock"))["ok"]
    agent.lift()
    agent.tap(MAKER)
    wait_for(lambda: agent.relay, what="usable again once unblocked")


def test_staff_takeover_and_end_session(make_config, run_agent, make_site) -> None:
    site, agent, _ = _laser(
        make_config, run_agent, make_site, presence=False, check_after_use=False
    )
    agent.tap(MAKER)
    site.wait_event("session_started")
    agent.lift()
    agent.tap(STAFF)
    ended = site.wait_event("session_ended")[0]
    assert ended.reason == "staff_takeover"
    assert site.wait_event("session_started", 2)[-1].credential_hash == agent.hash(STAFF)
    assert all(s.state for s in agent.pin(17).states[1:])  # power never dropped
    assert site.wait_result(site.command("end_session"))["ok"]
    assert site.wait_event("session_ended", 2)[-1].reason == "staff"
    wait_for(lambda: not agent.relay, what="ended by staff")


def test_machine_state_machine_alone() -> None:
    machine = Machine(
        MachineConfig(
            presence=True, max_session_min=10, idle_timeout_min=5, warning_s=30, coast_s=0
        ),
        has_busy_input=False,
    )
    granted = Decision(True, Reason.GRANTED)
    actions = machine.badge(Lookup(granted, "m", False), "h", 0.0)
    assert SetRelay(True) in actions and machine.state is MachineState.IN_USE
    assert machine.deadline() == 270.0  # no busy input: idle counts from the start
    assert machine.badge_removed("other", 10.0) == []
    assert SetRelay(False) in machine.badge_removed("h", 11.0)
    assert machine.state is MachineState.FREE and machine.deadline() is None
