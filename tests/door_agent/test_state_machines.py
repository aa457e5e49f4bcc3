"""Properties of the door and machine state machines over random sequences of inputs,
commands and time (no threads, no hardware): the relay follows the state, and only
what may release or power something ever does."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from door_agent.actions import Action, SetRelay
from door_agent.door import Door
from door_agent.machine import Machine
from door_agent.store import Lookup
from station.config.agents import DoorConfig, MachineConfig
from station.protocol.vocabulary import DoorMode, MachineState
from station.rules import Decision, Reason

GRANTED = Decision(True, Reason.GRANTED)
DENIED = Decision(False, Reason.NO_VALID_MEMBERSHIP)
BADGES = st.sampled_from(["a", "b", "staff"])

machine_steps = st.lists(
    st.one_of(
        st.tuples(st.just("badge"), BADGES, st.booleans()),
        st.tuples(st.just("removed"), BADGES),
        st.tuples(st.just("busy"), st.booleans()),
        st.tuples(st.just("wait"), st.floats(0, 20_000)),
        st.tuples(st.sampled_from(["end_session", "power_off", "block", "unblock", "clear_check"])),
    ),
    max_size=40,
)

door_steps = st.lists(
    st.one_of(
        st.tuples(st.just("badge"), st.booleans()),
        st.tuples(st.just("contact"), st.booleans()),
        st.tuples(st.just("exit")),
        st.tuples(st.just("wait"), st.floats(0, 120)),
        st.tuples(st.just("hold_open"), st.floats(1, 3600)),
        st.tuples(st.sampled_from(["unlock_once", "lock", "lockdown", "release"])),
    ),
    max_size=40,
)


def _relay_changes(actions: list[Action]) -> list[bool]:
    return [a.on for a in actions if isinstance(a, SetRelay)]


@settings(max_examples=400, deadline=None)
@given(
    config=st.builds(
        MachineConfig,
        presence=st.booleans(),
        max_session_min=st.floats(1, 300),
        idle_timeout_min=st.floats(1, 60),
        warning_s=st.floats(0, 120),
        coast_s=st.floats(0, 60),
        check_after_use=st.booleans(),
    ),
    busy_wired=st.booleans(),
    steps=machine_steps,
)
def test_machine_relay_follows_state(
    config: MachineConfig, busy_wired: bool, steps: list[tuple[Any, ...]]
) -> None:
    machine = Machine(config, has_busy_input=busy_wired)
    relay, now = False, 0.0
    for step in steps:
        was_blocked = machine.state is MachineState.BLOCKED
        kind = step[0]
        if kind == "badge":
            lookup = Lookup(GRANTED if step[2] else DENIED, None, step[1] == "staff")
            actions = machine.badge(lookup, step[1], now)
        elif kind == "removed":
            actions = machine.badge_removed(step[1], now)
        elif kind == "busy":
            actions = machine.busy_changed(step[1], now)
        elif kind == "wait":
            now += step[1]
            actions = []
            for _ in range(10):  # each tick moves the deadline on: no endless timer
                deadline = machine.deadline()
                if deadline is None or deadline > now:
                    break
                actions += machine.tick(max(deadline, 0.0))
            else:
                raise AssertionError("the deadline does not move on")
        else:
            actions = getattr(machine, kind)(now)
        changes = _relay_changes(actions)
        if True in changes:  # only a granted badge powers a machine, never when blocked
            assert kind == "badge" and step[2] and not was_blocked
        for on in changes:
            assert on != relay  # every change is a real change
            relay = on
        assert relay == machine.relay
        assert not (machine.state is MachineState.BLOCKED and relay)
        assert relay == (machine.session is not None or machine.coast_until is not None)
        assert (machine.session is not None) == (machine.state is MachineState.IN_USE)


@settings(max_examples=400, deadline=None)
@given(
    config=st.builds(
        DoorConfig,
        unlock_s=st.floats(0.5, 60),
        held_open_s=st.floats(1, 300),
        pre_alarm_s=st.floats(0, 60),
    ),
    steps=door_steps,
)
def test_door_releases_only_when_allowed(config: DoorConfig, steps: list[tuple[Any, ...]]) -> None:
    door = Door(config, has_contact=True)
    relay, now = False, 0.0
    door.contact(True, now)
    for step in steps:
        kind = step[0]
        if kind == "badge":
            actions = door.badge(Lookup(GRANTED if step[1] else DENIED), "h", now)
        elif kind == "contact":
            actions = door.contact(step[1], now)
        elif kind == "exit":
            actions = door.exit_pressed(now)
        elif kind == "wait":
            now += step[1]
            actions = []
            for _ in range(10):  # each tick moves the deadline on: no endless timer
                deadline = door.deadline()
                if deadline is None or deadline > now:
                    break
                actions += door.tick(max(deadline, 0.0))
            else:
                raise AssertionError("the deadline does not move on")
        elif kind == "hold_open":
            actions = door.hold_open(now + step[1], now)
        else:
            actions = {
                "unlock_once": door.unlock_once,
                "lock": door.lock,
                "lockdown": door.start_lockdown,
                "release": door.release,
            }[kind](now)
        changes = _relay_changes(actions)
        if True in changes:
            assert kind in ("exit", "unlock_once", "hold_open") or (kind == "badge" and step[1])
        for on in changes:
            assert on != relay
            relay = on
        assert relay == door.relay
        if door.mode is DoorMode.LOCKDOWN:
            assert not relay or (door.unlock_until is not None and now < door.unlock_until)
