"""The configuration schema: one validated, immutable tree for the whole site.

The sections live beside it (`site`, `connections`, `reader`, `agents`, `hours`); this
module assembles them and checks what no section can check alone (a pin used twice,
an unknown schedule, training or space). Every field carries a description and an
example; docs/configuration.md is generated from the tree (``station config docs``)
and a test checks that the two agree, so the documentation cannot drift from the code.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator

from station.config.agents import AgentConfig, DoorAgentConfig
from station.config.base import Section, Slug, doc
from station.config.connections import CentralConfig, DatabaseConfig, MqttConfig
from station.config.hours import WEEKDAYS, PlanConfig, ScheduleConfig, StaffConfig
from station.config.site import (
    KeysConfig,
    KioskConfig,
    PurposeConfig,
    RetentionConfig,
    SignupConfig,
    SiteConfig,
    SkillConfig,
    SpaceConfig,
    TrainingConfig,
)
from station.schedule import ALWAYS as ALWAYS_SCHEDULE
from station.schedule import Schedule

OPENING_HOURS = "opening_hours"  # the schedule given by [opening_hours]


class StationConfig(Section):
    site: SiteConfig = doc("The site.", {"id": "saint-omer-gare"})
    database: DatabaseConfig = doc("The site database.", {"url": "sqlite:///var/site.db"})
    central: CentralConfig = doc("The central registry.", {"url": "sqlite:///var/central.db"})
    mqtt: MqttConfig = doc("The MQTT broker.", {"host": "127.0.0.1"}, default=MqttConfig())
    keys: KeysConfig = doc("Signing keys.", {"dir": "var/keys"}, default=KeysConfig())
    spaces: dict[Slug, SpaceConfig] = doc(
        "Spaces of the site, by code.", {"coworking": {"fr": "Coworking"}}
    )
    purposes: tuple[PurposeConfig, ...] = doc(
        "What people come for, offered at check-in, in display order.", [{"id": "coworking"}]
    )
    trainings: dict[Slug, TrainingConfig] = doc(
        "Trainings, by code.", {"laser": {"fr": "Découpeuse laser"}}, default_factory=dict
    )
    skills: dict[Slug, SkillConfig] = doc(
        "Digital skills staff record for a person (`station member skill`), by code: "
        "the catalogue `station report skills` counts.",
        {"demarches-en-ligne": {"fr": "Démarches en ligne", "en": "Online procedures"}},
        default_factory=dict,
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
    signup: SignupConfig = doc(
        "What the kiosk's sign-up form asks a visitor, beyond what it always asks.",
        {"ask_birth_year": True},
        default=SignupConfig(),
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
    def badge_key(self) -> bytes:
        return self.site.badge_key.encode()

    @property
    def keys_dir(self) -> Path:
        return self.resolve(self.keys.dir)

    def agent_data_dir(self, agent_id: str) -> Path:
        configured = self.agents[agent_id].data_dir or f"var/agents/{agent_id}"
        return self.resolve(configured)

    def sim_socket(self, reader_id: str) -> Path:
        """Socket through which `station reader tap` reaches a running sim reader."""
        return self.resolve(f"var/sim/{reader_id}.sock")
