"""An agent's section: a door or a machine, a union discriminated on `kind` (a door
has no `machine` table and the reverse), with its wiring and timings."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, field_validator

from station.config.base import Section, Slug, doc
from station.config.hours import ClockConfig
from station.config.reader import ReaderConfig


class PinsConfig(Section):
    """BCM GPIO numbers; 0 means not wired."""

    relay: int = doc("Output driving the strike or the machine's contactor.", 17, ge=2, le=27)
    relay_active_high: bool = doc(
        "True if the relay board switches on a high level.", True, default=True
    )
    contact: int = doc(
        "Door contact input (closed = door shut), 0 if none.", 27, default=0, ge=0, le=27
    )
    exit_button: int = doc("Request-to-exit button input, 0 if none.", 22, default=0, ge=0, le=27)
    busy: int = doc("Current/busy sensor input of a machine, 0 if none.", 0, default=0, ge=0, le=27)
    led_green: int = doc("Green LED output, 0 if none.", 5, default=0, ge=0, le=27)
    led_red: int = doc("Red LED output, 0 if none.", 6, default=0, ge=0, le=27)
    buzzer: int = doc("Buzzer output, 0 if none.", 13, default=0, ge=0, le=27)

    def used(self) -> dict[str, int]:
        """Wired pins by role, for the 'pin used twice' check."""
        return {
            name: value
            for name, value in self.model_dump().items()
            if isinstance(value, int) and not isinstance(value, bool) and value > 0
        }


class DoorConfig(Section):
    unlock_s: float = doc(
        "How long a granted badge or the exit button releases the strike.",
        5.0,
        default=5.0,
        gt=0,
        le=60,
    )
    held_open_s: float = doc("Open longer than this raises 'held open'.", 30.0, default=30.0, gt=0)
    pre_alarm_s: float = doc(
        "Warning on the buzzer this long before 'held open'.", 10.0, default=10.0, ge=0
    )


class MachineConfig(Section):
    presence: bool = doc(
        "The badge must stay on the reader during use (removing it ends the session).",
        False,
        default=False,
    )
    max_session_min: float = doc("Longest session, in minutes.", 240.0, default=240.0, gt=0)
    idle_timeout_min: float = doc(
        "End the session after this many idle minutes (needs the "
        "busy input to tell idle from busy; else time since "
        "start).",
        15.0,
        default=15.0,
        gt=0,
    )
    warning_s: float = doc(
        "Buzzer warning this long before power is cut.", 60.0, default=60.0, ge=0
    )
    coast_s: float = doc(
        "While the machine is busy at the end, wait this long before "
        "cutting power (e.g. a laser's exhaust).",
        30.0,
        default=30.0,
        ge=0,
    )
    check_after_use: bool = doc(
        "After each session the machine goes to ToCheck until staff clears it.",
        False,
        default=False,
    )


class _Agent(Section):
    """What every agent has; `DoorAgentConfig` and `MachineAgentConfig` add their own."""

    kind: Literal["door", "machine"] = doc("What the agent drives.", "door")
    name: str = doc("Name shown to staff.", "Porte d'entrée")
    resource: Slug = doc(
        "Code of the resource (door or machine) this agent controls.", "front-door"
    )
    trainings: tuple[Slug, ...] = doc(
        "Trainings required to use the resource; each must be declared under [trainings].",
        ["laser"],
        default=(),
    )
    schedule: Slug = doc(
        "The schedule the resource follows: members and visitors may use it only while "
        "it is open (their plan may narrow that further; staff follow [staff]). "
        "'opening_hours', 'always' or a name of [schedules].",
        "opening_hours",
        default="opening_hours",
    )
    free_access: str = doc(
        "Doors only: a schedule during which the door stays unlocked for everyone (the "
        "event hall during an event); a lockdown overrides it. Empty: never.",
        "",
        default="",
        pattern=r"^([a-z0-9][a-z0-9_-]{0,62})?$",
    )
    clock: ClockConfig = doc(
        "What the agent does when it cannot trust its clock.", {}, default=ClockConfig()
    )
    reader: ReaderConfig = doc("The agent's badge reader.", {"path": "sim:front-door"})
    pins: PinsConfig = doc("GPIO wiring.", {"relay": 17})
    pin_factory: Literal["mock", "lgpio", "rpigpio", "native"] = doc(
        "gpiozero pin factory; 'mock' simulates the pins (demo, tests).", "mock", default="mock"
    )
    data_dir: str = doc(
        "Directory of the agent's grant cache and outbox.", "var/agents/front-door", default=""
    )
    outbox_alarm: int = doc(
        "Raise an alarm when this many events wait to be acknowledged; nothing is ever dropped.",
        100000,
        default=100_000,
        ge=100,
    )


class DoorAgentConfig(_Agent):
    kind: Literal["door"] = doc("What the agent drives.", "door")
    door: DoorConfig = doc("Door timings (kind = 'door').", {}, default=DoorConfig())
    machine: None = Field(default=None, exclude=True)  # refused: see _wrong_table

    @field_validator("machine", mode="before")
    @classmethod
    def _wrong_table(cls, value: object) -> None:
        raise ValueError(_wrong_table("door", "machine"))


class MachineAgentConfig(_Agent):
    kind: Literal["machine"] = doc("What the agent drives.", "machine")
    machine: MachineConfig = doc("Machine rules (kind = 'machine').", {}, default=MachineConfig())
    door: None = Field(default=None, exclude=True)  # refused: see _wrong_table

    @field_validator("door", mode="before")
    @classmethod
    def _wrong_table(cls, value: object) -> None:
        raise ValueError(_wrong_table("machine", "door"))


def _wrong_table(kind: str, table: str) -> str:
    return f"a {kind} agent has no {table} table; expected kind = {table!r} or no {table} table"


def _agent_kind(value: object) -> str:
    """The union's tag, marked by `AGENT_TAG` as no key of the file (see the loader). No
    kind at all is a door's table missing its required key, as it says."""
    kind = value.get("kind", "door") if isinstance(value, dict) else getattr(value, "kind", "")
    return f"{AGENT_TAG}{kind}"


AGENT_TAG = "kind="  # keys are slugs: no key holds '='
AgentConfig = Annotated[
    Annotated[DoorAgentConfig, Tag(f"{AGENT_TAG}door")]
    | Annotated[MachineAgentConfig, Tag(f"{AGENT_TAG}machine")],
    Discriminator(
        _agent_kind,
        custom_error_type="agent_kind",
        custom_error_message="unknown kind of agent; expected kind = 'door' or 'machine'",
    ),
]
