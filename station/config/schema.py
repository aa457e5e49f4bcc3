"""The configuration schema: one validated, immutable tree for the whole site.

Every field carries a description and an example; docs/configuration.md is
generated from this module (``station config docs``) and a test checks that the
two agree, so the documentation cannot drift from the code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Discriminator, Field, Tag, field_validator, model_validator

from station.config.base import Section, Slug, doc
from station.config.hours import (
    WEEKDAYS,
    ClockConfig,
    PlanConfig,
    ScheduleConfig,
    StaffConfig,
)
from station.schedule import ALWAYS as ALWAYS_SCHEDULE
from station.schedule import Schedule

OPENING_HOURS = "opening_hours"  # the schedule given by [opening_hours]


class SiteConfig(Section):
    id: Slug = doc(
        "Identifier of the site, unique in the registry; used in MQTT topics.", "saint-omer-gare"
    )
    name: str = doc("Name shown on the kiosk and in reports.", "La Station")
    timezone: str = doc(
        "IANA time zone of the site: opening hours and tallies use it.",
        "Europe/Paris",
        default="Europe/Paris",
    )
    secret: str = doc(
        "Site key (at least 16 characters): hashes badge UIDs and derives each agent's "
        "signing key. Override in production with the STATION_SITE_SECRET environment "
        "variable; never commit a real one.",
        "change-me-this-is-the-demo-key",
        min_length=16,
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"an IANA time zone such as Europe/Paris, got {value!r}") from exc
        return value


class DatabaseConfig(Section):
    url: str = doc(
        "SQLAlchemy URL of the site database. A relative SQLite path is taken "
        "from the directory of the configuration file.",
        "sqlite:///var/site.db",
    )


class CentralConfig(Section):
    url: str = doc(
        "SQLAlchemy URL of the central registry (PostgreSQL in production, "
        "an SQLite file for the demo).",
        "sqlite:///var/central.db",
    )
    poll_interval_s: float = doc(
        "Seconds between two sync rounds when no change is "
        "notified (PostgreSQL LISTEN/NOTIFY wakes sync earlier).",
        30.0,
        default=30.0,
        gt=0,
    )
    batch_size: int = doc(
        "Rows per transaction in either direction.", 5000, default=5000, ge=1, le=100_000
    )


class MqttConfig(Section):
    host: str = doc("Broker host name or address.", "127.0.0.1", default="127.0.0.1")
    port: int = doc("Broker TCP port.", 1883, default=1883, ge=1, le=65535)
    username: str = doc(
        "User name; empty for an anonymous broker. Per-device accounts "
        "are recommended (see docs/protocol.md).",
        "",
        default="",
    )
    password: str = doc("Password; override with STATION_MQTT_PASSWORD.", "", default="")
    tls: bool = doc("Connect over TLS.", False, default=False)
    ca_file: str = doc("CA certificate file for TLS; empty uses the system's.", "", default="")
    protocol: Literal[5, 311] = doc("MQTT protocol version: 5 or 311 (3.1.1).", 5, default=5)
    keepalive_s: int = doc("Keep-alive interval in seconds.", 30, default=30, ge=5)
    session_expiry_s: int = doc(
        "How long the broker keeps a disconnected client's "
        "session and queued QoS 1 messages (MQTT 5).",
        86400,
        default=86400,
        ge=0,
    )


class ReaderConfig(Section):
    path: str = doc(
        "Reader device path in the nfcpy style: 'sim:ID', 'pcsc:NAME-PATTERN', "
        "'nfc:usb:072f:2200', 'nfc:tty:AMA0:pn532', 'nfc:udp:127.0.0.1:54321', "
        "'keyboard:/dev/input/by-id/...' or 'keyboard:stdin'.",
        "sim:front-door",
    )

    @field_validator("path")
    @classmethod
    def _known_path(cls, value: str) -> str:
        scheme, _, rest = value.partition(":")
        device = rest.split(":")[0]
        if (
            scheme not in {"sim", "pcsc", "nfc", "keyboard"}
            or not rest.strip()
            or (scheme == "nfc" and device not in {"usb", "tty", "udp", "i2c"})
            or (scheme == "keyboard" and rest != "stdin" and not rest.startswith("/"))
        ):
            raise ValueError(
                "a reader path: 'sim:ID', 'pcsc:NAME-PATTERN', 'nfc:usb[:VID:PID]', "
                "'nfc:tty:AMA0:pn532', 'nfc:udp[:HOST:PORT]', "
                "'keyboard:/dev/input/...' or 'keyboard:stdin'"
            )
        return value

    debounce_s: float = doc(
        "The same badge presented again within this window is reported once.",
        1.5,
        default=1.5,
        ge=0,
    )
    sense_interval_s: float = doc(
        "Polling interval of the nfc backend (nfcpy's default is 0.5 s, too slow for a door).",
        0.1,
        default=0.1,
        gt=0,
        le=2,
    )
    uid_format: Literal["hex", "decimal"] = doc(
        "How a keyboard reader types the UID.", "hex", default="hex"
    )
    byte_order: Literal["msb", "lsb"] = doc(
        "Byte order a keyboard reader types the UID in ('lsb' reverses the bytes).",
        "msb",
        default="msb",
    )
    uid_length: int = doc(
        "UID length in bytes for decimal keyboard readers (0: as typed).", 4, default=0, ge=0, le=10
    )


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


class PurposeConfig(Section):
    id: Slug = doc("Purpose code, stored with each visit.", "coworking")
    fr: str = doc("Label in French.", "Coworking")
    en: str = doc("Label in English.", "Coworking")
    space: Slug = doc("Space this purpose counts towards.", "coworking")


class SpaceConfig(Section):
    fr: str = doc("Label in French.", "Espace de coworking")
    en: str = doc("Label in English.", "Coworking space")
    capacity: int = doc("Seats or places, 0 if not counted.", 40, default=0, ge=0)
    schedule: Slug = doc(
        "The schedule the space follows (plans name it to give access).",
        "opening_hours",
        default="opening_hours",
    )


class TrainingConfig(Section):
    fr: str = doc("Label in French.", "Découpeuse laser")
    en: str = doc("Label in English.", "Laser cutter")
    valid_days: int = doc(
        "Validity of the training once granted, 0 for no expiry.", 365, default=0, ge=0
    )


class KioskConfig(Section):
    reader: ReaderConfig = doc("The kiosk's badge reader.", {"path": "sim:kiosk"})
    idle_timeout_s: float = doc(
        "Return to the idle screen after this many seconds without a touch.",
        20.0,
        default=20.0,
        gt=0,
    )
    staff_timeout_s: float = doc(
        "Close staff mode after this many idle seconds.", 60.0, default=60.0, gt=0
    )
    schedule: Slug = doc(
        "The site's schedule: everyone still checked in is checked out "
        "at that day's closing time (exceptions and holidays included).",
        "opening_hours",
        default="opening_hours",
    )
    language: Literal["fr", "en"] = doc("Language of the idle screen.", "fr", default="fr")
    calendar_url: str = doc("iCalendar feed of today's events, empty if none.", "", default="")
    hide_cursor: bool = doc("Hide the mouse cursor (touch screens).", False, default=False)


class RetentionConfig(Section):
    movement_days: int = doc(
        "Visits, access events and sessions are purged after this "
        "many days (CNIL: 3 months); tallies keep aggregates.",
        90,
        default=90,
        ge=1,
    )
    visitor_days: int = doc(
        "A visitor never seen again is erased after this many days.", 365, default=365, ge=1
    )


class StationConfig(Section):
    site: SiteConfig = doc("The site.", {"id": "saint-omer-gare"})
    database: DatabaseConfig = doc("The site database.", {"url": "sqlite:///var/site.db"})
    central: CentralConfig = doc("The central registry.", {"url": "sqlite:///var/central.db"})
    mqtt: MqttConfig = doc("The MQTT broker.", {"host": "127.0.0.1"}, default=MqttConfig())
    spaces: dict[Slug, SpaceConfig] = doc(
        "Spaces of the site, by code.", {"coworking": {"fr": "Coworking"}}
    )
    purposes: tuple[PurposeConfig, ...] = doc(
        "What people come for, offered at check-in, in display order.", [{"id": "coworking"}]
    )
    trainings: dict[Slug, TrainingConfig] = doc(
        "Trainings, by code.", {"laser": {"fr": "Découpeuse laser"}}, default_factory=dict
    )
    kiosks: dict[Slug, KioskConfig] = doc(
        "Entrance kiosks, by id.",
        {"entrance": {"reader": {"path": "sim:kiosk"}}},
        default_factory=dict,
    )
    agents: dict[Slug, AgentConfig] = doc(
        "Door and machine agents, by id.", {"front-door": {"kind": "door"}}, default_factory=dict
    )
    opening_hours: ScheduleConfig = doc(
        "The site's public opening hours: the schedule called 'opening_hours'.",
        {},
        default=ScheduleConfig(),
    )
    schedules: dict[Slug, ScheduleConfig] = doc(
        "More named schedules (the fablab while a fabmanager is on site, the event hall's "
        "events...), in the same form as [opening_hours].",
        {"fablab": {"wednesday": ["14:00-18:00"], "holidays": "FR"}},
        default_factory=dict,
    )
    resource_groups: dict[Slug, tuple[Slug, ...]] = doc(
        "Named groups of resources (agents' resources and spaces), for plans' access.",
        {"doors": ["front-door", "hall-door"]},
        default_factory=dict,
    )
    plans: dict[Slug, PlanConfig] = doc(
        "Membership plans, by code. None declared: every membership may use every "
        "resource while the resource's schedule is open.",
        {
            "member": {
                "fr": "Adhérent",
                "en": "Member",
                "access": {"*": "opening_hours"},
                "default": True,
            }
        },
        default_factory=dict,
    )
    staff: StaffConfig = doc("Staff's access rule.", {}, default=StaffConfig())
    retention: RetentionConfig = doc(
        "How long personal data is kept.", {}, default=RetentionConfig()
    )

    # Where the file was read from; relative paths are resolved against its directory.
    source: Path = Field(default=Path("config.toml"), exclude=True)

    @model_validator(mode="after")
    def _cross_checks(self) -> StationConfig:
        problems: list[str] = []
        for agent_id, agent in self.agents.items():
            seen: dict[int, str] = {}
            for role, pin in agent.pins.used().items():
                if pin in seen:
                    problems.append(
                        f"agents.{agent_id}.pins.{role}: GPIO {pin} is already "
                        f"used by pins.{seen[pin]}; expected a pin used once"
                    )
                seen[pin] = role
            for index, code in enumerate(agent.trainings):
                if code not in self.trainings:
                    problems.append(
                        f"agents.{agent_id}.trainings.{index}: unknown training "
                        f"{code!r}; expected one of [trainings]: "
                        f"{', '.join(sorted(self.trainings)) or 'none declared'}"
                    )
        for index, purpose in enumerate(self.purposes):
            if purpose.space not in self.spaces:
                problems.append(
                    f"purposes.{index}.space: unknown space {purpose.space!r}; "
                    f"expected one of [spaces]"
                )
        readers = [("kiosks", k, v.reader.path) for k, v in self.kiosks.items()]
        readers += [("agents", k, v.reader.path) for k, v in self.agents.items()]
        paths: dict[str, str] = {}
        for group, key, path in readers:
            if path in paths:
                problems.append(
                    f"{group}.{key}.reader.path: {path!r} is already the reader "
                    f"of {paths[path]}; expected one reader per device"
                )
            paths[path] = f"{group}.{key}"
        problems += self._schedule_problems() + self._plan_problems()
        if problems:
            raise ValueError("\n".join(problems))
        return self

    def schedule_names(self) -> set[str]:
        return {ALWAYS_SCHEDULE, OPENING_HOURS, *self.schedules}

    def resource_codes(self) -> set[str]:
        return {a.resource for a in self.agents.values()} | set(self.spaces)

    def _schedule_problems(self) -> list[str]:
        problems = [
            f"schedules.{name}: {name!r} is reserved; expected another name"
            for name in self.schedules
            if name in (ALWAYS_SCHEDULE, OPENING_HOURS)
        ]
        known = self.schedule_names()
        expected = f"expected one of {', '.join(sorted(known))}"
        refs = [(f"agents.{k}.schedule", a.schedule) for k, a in self.agents.items()]
        refs += [
            (f"agents.{k}.free_access", a.free_access)
            for k, a in self.agents.items()
            if a.free_access
        ]
        refs += [(f"spaces.{k}.schedule", v.schedule) for k, v in self.spaces.items()]
        refs += [(f"kiosks.{k}.schedule", v.schedule) for k, v in self.kiosks.items()]
        refs += [
            (f"plans.{k}.access.{r}", name)
            for k, p in self.plans.items()
            for r, name in p.access.items()
        ]
        refs.append(("staff.schedule", self.staff.schedule))
        problems += [
            f"{key}: unknown schedule {name!r}; {expected}"
            for key, name in refs
            if name not in known
        ]
        problems += [
            f"agents.{k}.free_access: only a door can be in free access; expected "
            f"no free_access on a {a.kind}"
            for k, a in self.agents.items()
            if a.free_access and not isinstance(a, DoorAgentConfig)
        ]
        return problems

    def _plan_problems(self) -> list[str]:
        problems: list[str] = []
        resources = self.resource_codes()
        for group, members in self.resource_groups.items():
            problems += [
                f"resource_groups.{group}: unknown resource {code!r}; expected an "
                f"agent's resource or a space"
                for code in members
                if code not in resources
            ]
        targets = resources | set(self.resource_groups) | {"*"}
        for code, plan in self.plans.items():
            problems += [
                f"plans.{code}.access: unknown resource or group {key!r}; expected "
                f"a resource, a group of [resource_groups] or '*'"
                for key in plan.access
                if key not in targets
            ]
        defaults = [code for code, plan in self.plans.items() if plan.default]
        if self.plans and len(defaults) != 1:
            problems.append(
                f"plans: {len(defaults)} plans have default = true "
                f"({', '.join(defaults) or 'none'}); expected exactly one"
            )
        return problems

    def schedule(self, name: str) -> Schedule:
        """The named schedule, in the site's time zone."""
        zone = self.site.timezone
        if name == ALWAYS_SCHEDULE:
            return Schedule.open_always(zone)
        hours = self.opening_hours if name == OPENING_HOURS else self.schedules[name]
        weekly = [getattr(hours, day) for day in WEEKDAYS]
        return Schedule.from_ranges(
            zone,
            weekly,
            {e.date: e.hours for e in hours.exceptions},
            holidays=hours.holidays,
            labels={e.date: e.label for e in hours.exceptions},
        )

    @property
    def default_plan(self) -> str:
        """The plan of a membership naming none or an undeclared one ('' without plans)."""
        return next((code for code, plan in self.plans.items() if plan.default), "")

    def plan_of(self, code: str) -> str:
        return code if code in self.plans else self.default_plan

    def resolve(self, path: str) -> Path:
        """A path from the file, relative to the file's directory."""
        candidate = Path(path)
        return candidate if candidate.is_absolute() else self.source.parent / candidate

    def resolve_url(self, url: str) -> str:
        """An SQLAlchemy URL with a relative SQLite path made absolute."""
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and url != prefix:
            rest = url[len(prefix) :]
            if rest != ":memory:":
                return prefix + str(self.resolve(rest).resolve())
        return url

    @property
    def site_key(self) -> bytes:
        return self.site.secret.encode()

    def agent_data_dir(self, agent_id: str) -> Path:
        configured = self.agents[agent_id].data_dir or f"var/agents/{agent_id}"
        return self.resolve(configured)

    def sim_socket(self, reader_id: str) -> Path:
        """Socket through which `station reader tap` reaches a running sim reader."""
        return self.resolve(f"var/sim/{reader_id}.sock")
