"""Door and Machine alone, without threads or hardware: construct the state machine,
call it with ``now`` floats, assert the actions it returns. And the relay end to end
on mock pins: off at start, energised to release, off again at stop."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from gpiozero.pins.mock import MockFactory

from door_agent.actions import Emit, Indicate, SetRelay
from door_agent.agent import Agent
from door_agent.controller import CommandCall, Controller
from door_agent.door import Door
from door_agent.errors import CommandRefused
from door_agent.inbox import Call, Stop
from door_agent.machine import Machine
from door_agent.store import Lookup
from hardware.gpio import BusyChanged, DoorClosed, DoorOpened, ExitPressed
from hardware.gpio.outputs import Pattern
from station.config.agents import DoorConfig, MachineConfig
from station.errors import ConfigError
from station.protocol.vocabulary import (
    AgentDenial,
    AgentKind,
    Command,
    DoorMode,
    EndReason,
    EventType,
    MachineState,
    MachineStateChange,
    Refusal,
    StatusField,
)
from station.rules import Decision, Reason
from tests.support.agents import agent_overrides

GRANTED = Lookup(Decision(True, Reason.GRANTED), "member-1")
STAFF = Lookup(Decision(True, Reason.GRANTED), "staff-1", staff=True)
UNKNOWN = Lookup(Decision(False, Reason.UNKNOWN_BADGE))
WALL = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def _door(**settings: Any) -> Door:
    config = DoorConfig(unlock_s=5, held_open_s=30, pre_alarm_s=10, **settings)
    return Door(config, has_contact=True)


def _machine(**settings: Any) -> Machine:
    config = MachineConfig(max_session_min=10, idle_timeout_min=5, warning_s=30, **settings)
    return Machine(config, has_busy_input=True)


def _types(actions: list[Any]) -> list[str]:
    return [a.type for a in actions if isinstance(a, Emit)]


def _emit(action: object) -> Emit:
    assert isinstance(action, Emit), f"expected an event, got {action!r}"
    return action


def _command(controller: Controller, command: Command, now: float, **args: Any) -> list[Any]:
    return controller.commands()[command](CommandCall(now, WALL, args))


# -- the door ------------------------------------------------------------------------


def test_a_door_energises_its_relay_to_release() -> None:
    door = _door()
    assert door.start(0.0) == []  # off at start: locked already
    assert door.input(DoorClosed(0.0), 0.0) == []
    actions = door.badge(GRANTED, "h", 1.0)
    assert actions == [
        SetRelay(True),
        Indicate(Pattern.GRANTED),
        Emit(EventType.GRANTED, Reason.GRANTED, "h", "member-1"),
    ]
    assert door.deadline() == 6.0
    assert door.tick(6.0) == [SetRelay(False)]
    assert door.input(ExitPressed(7.0), 7.0)[0] == SetRelay(True)
    # Opened through a released strike: no forced alarm.
    assert _types(door.input(DoorOpened(8.0), 8.0)) == [EventType.DOOR_OPENED]


def test_a_door_forced_while_locked_and_held_open() -> None:
    door = _door()
    door.input(DoorClosed(0.0), 0.0)
    opened = door.input(DoorOpened(2.0), 2.0)
    assert opened == [Indicate(Pattern.WARNING), Emit(EventType.DOOR_FORCED, EventType.DOOR_FORCED)]
    assert door.deadline() == 22.0
    assert _types(door.tick(22.0)) == [EventType.DOOR_PRE_ALARM]
    assert _types(door.tick(32.0)) == [EventType.DOOR_HELD_OPEN]
    assert door.status()[StatusField.ALARMS] == [EventType.DOOR_FORCED, EventType.DOOR_HELD_OPEN]
    closed = door.input(DoorClosed(33.0), 33.0)
    assert closed == [Emit(EventType.DOOR_CLOSED), Indicate(Pattern.OFF)]
    assert door.status()[StatusField.ALARMS] == []


def test_a_door_denies_and_ignores_what_is_not_its_own() -> None:
    door = _door()
    denied = door.badge(UNKNOWN, "h", 1.0)
    assert denied == [
        Indicate(Pattern.DENIED),
        Emit(EventType.DENIED, Reason.UNKNOWN_BADGE, "h", None, {}),
    ]
    assert door.badge_removed("h", 2.0) == []
    assert door.input(BusyChanged(True, 2.0), 2.0) == []
    assert door.shutdown(3.0) == [] and door.session_lost() == [] and door.session is None
    assert door.kind is AgentKind.DOOR
    assert set(door.commands()) == {
        Command.UNLOCK_ONCE,
        Command.LOCK,
        Command.HOLD_OPEN,
        Command.LOCKDOWN,
        Command.RELEASE,
    }


def test_door_commands_and_the_lockdown_that_survives_a_restart() -> None:
    door = _door()
    door.input(DoorClosed(0.0), 0.0)
    held = _command(door, Command.HOLD_OPEN, 1.0, seconds=60)
    assert held[0] == SetRelay(True) and _types(held) == [EventType.HOLD_OPEN]
    assert door.durable_mode() == DoorMode.NORMAL  # hold-open does not survive a restart
    assert _command(door, Command.LOCKDOWN, 2.0)[0] == SetRelay(False)
    assert door.lockdown and door.durable_mode() == DoorMode.LOCKDOWN
    with pytest.raises(CommandRefused) as refused:
        _command(door, Command.HOLD_OPEN, 3.0, seconds=60)
    assert refused.value.reason is Refusal.LOCKDOWN
    restarted = _door()
    restarted.restore(door.durable_mode())
    assert restarted.mode is DoorMode.LOCKDOWN
    assert _types(_command(restarted, Command.RELEASE, 4.0)) == [EventType.RELEASED]
    with pytest.raises(CommandRefused) as bad:
        _command(restarted, Command.HOLD_OPEN, 5.0, seconds=0)
    assert bad.value.reason is Refusal.BAD_ARGUMENT


def test_free_access_opens_and_relocks_a_door() -> None:
    door = _door()
    door.input(DoorClosed(0.0), 0.0)
    started = door.set_free_access(True, 1.0)
    assert started[0] == SetRelay(True) and _types(started) == [EventType.FREE_ACCESS_STARTED]
    assert door.set_free_access(True, 2.0) == []
    ended = door.set_free_access(False, 3.0)
    assert ended[0] == SetRelay(False) and _types(ended) == [EventType.FREE_ACCESS_ENDED]


# -- the machine ---------------------------------------------------------------------


def test_a_machine_session_from_tap_to_tap() -> None:
    machine = _machine()
    assert machine.start(0.0) == []
    actions = machine.badge(GRANTED, "h", 1.0)
    assert actions[0] == Emit(EventType.GRANTED, Reason.GRANTED, "h", "member-1")
    assert SetRelay(True) in actions and Indicate(Pattern.IN_USE) in actions
    assert _types(actions) == [
        EventType.GRANTED,
        EventType.MACHINE_STATE,
        EventType.SESSION_STARTED,
    ]
    assert machine.state is MachineState.IN_USE and machine.session is not None
    assert machine.status()[StatusField.SESSION_MEMBER] == "member-1"
    other = machine.badge(GRANTED, "other", 2.0)
    assert other[-1] == Emit(EventType.DENIED, AgentDenial.MACHINE_IN_USE, "other", "member-1")
    ended = machine.badge(GRANTED, "h", 3.0)
    end = next(a for a in ended if isinstance(a, Emit) and a.type is EventType.SESSION_ENDED)
    assert end.reason is EndReason.BADGE_TAP and end.data["duration_s"] == 2.0
    assert ended[-1] == SetRelay(False) and machine.state is MachineState.FREE


def test_a_machine_warns_then_ends_at_the_idle_timeout_and_coasts_while_busy() -> None:
    machine = _machine(coast_s=20)
    machine.badge(GRANTED, "h", 0.0)
    assert machine.deadline() == 270.0  # 5 idle minutes, warned 30 s before
    warned = machine.tick(270.0)
    assert warned[0] == Indicate(Pattern.WARNING)
    warning = _emit(warned[1])
    assert warning.type is EventType.SESSION_WARNING and warning.reason is EndReason.IDLE_TIMEOUT
    machine.input(BusyChanged(True, 280.0), 280.0)  # activity cancels the idle warning
    machine.input(BusyChanged(False, 290.0), 290.0)
    assert machine.deadline() == 560.0
    machine.input(BusyChanged(True, 559.0), 559.0)
    ended = machine.tick(600.0)  # the 10 minute maximum, still busy: power kept
    assert _types(ended)[0] == EventType.SESSION_ENDED and SetRelay(False) not in ended
    assert machine.deadline() == 620.0
    assert machine.tick(620.0) == [SetRelay(False)]


def test_machine_commands_block_and_survive_a_restart() -> None:
    machine = _machine(check_after_use=True)
    machine.badge(GRANTED, "h", 0.0)
    blocked = _command(machine, Command.BLOCK, 1.0)
    assert SetRelay(False) in blocked
    assert blocked[-1] == Emit(
        EventType.MACHINE_STATE,
        MachineStateChange.BLOCKED_BY_STAFF,
        data={"state": MachineState.BLOCKED},
    )
    denied = machine.badge(STAFF, "s", 2.0)
    assert _emit(denied[-1]).reason is Reason.RESOURCE_OUT_OF_ORDER
    restarted = _machine()
    restarted.restore(machine.durable_mode())
    assert restarted.state is MachineState.BLOCKED
    assert _command(restarted, Command.UNBLOCK, 3.0)[0].reason is (
        MachineStateChange.UNBLOCKED_BY_STAFF
    )
    assert set(machine.commands()) == {
        Command.END_SESSION,
        Command.POWER_OFF,
        Command.BLOCK,
        Command.UNBLOCK,
        Command.CLEAR_CHECK,
    }


def test_a_machine_ignores_door_inputs_and_ends_its_session_at_shutdown() -> None:
    machine = _machine()
    assert machine.kind is AgentKind.MACHINE and machine.lockdown is False
    assert machine.input(DoorOpened(0.0), 0.0) == []
    assert machine.input(ExitPressed(0.0), 0.0) == []
    assert machine.set_free_access(True, 0.0) == []
    machine.badge(GRANTED, "h", 1.0)
    stopped = machine.shutdown(5.0)
    assert _emit(stopped[0]).reason is EndReason.AGENT_STOPPED and stopped[-1] == SetRelay(False)
    lost = _machine(check_after_use=True).session_lost()
    assert lost == [
        Emit(
            EventType.MACHINE_STATE,
            MachineStateChange.AGENT_RESTARTED,
            data={"state": MachineState.TO_CHECK},
        )
    ]


# -- the relay on mock pins, through the loop ----------------------------------------------


def test_relay_levels_at_start_on_exit_and_at_stop(make_config: Any) -> None:
    config = make_config()
    factory = MockFactory()
    agent = Agent(config, "front-door", pin_factory=factory, connect=False)
    pin = factory.pin(config.agents["front-door"].pins.relay)
    seen: dict[str, object] = {"before": bool(pin.state)}

    def record(name: str) -> Call:
        return Call(lambda: seen.update({name: bool(pin.state)}))

    agent.events.put(record("started"))
    agent.events.put(ExitPressed(0.0))  # egress: released for unlock_s, whatever the mode
    agent.events.put(record("exit"))
    agent.events.put(Stop("test"))
    assert agent.run() == "test"
    seen["stopped"] = bool(pin.state)
    assert seen == {"before": False, "started": False, "exit": True, "stopped": False}


def test_the_former_fail_safe_key_is_refused(make_config: Any) -> None:
    # It documented the lock and did nothing: a site that set it must read why it went.
    with pytest.raises(ConfigError, match=r"agents\.front-door\.door\.fail_safe"):
        make_config(agent_overrides(**{"front-door": {"door": {"fail_safe": True}}}))
