"""Schedules (station.schedule), named in the configuration, with computed holidays."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from station.config import StationConfig, load_config
from station.config.loader import ConfigError
from station.plans import plan_label, plan_windows
from station.rules import CredentialFacts, MembershipSpan, Reason, ResourceFacts, decide
from station.schedule import Schedule
from tests.support.config import write_config

PARIS = ZoneInfo("Europe/Paris")

# The official list (service-public.fr, "jours fériés"), metropolitan France.
OFFICIAL = {
    2026: [
        "01-01",
        "04-06",
        "05-01",
        "05-08",
        "05-14",
        "05-25",
        "07-14",
        "08-15",
        "11-01",
        "11-11",
        "12-25",
    ],
    2027: [
        "01-01",
        "03-29",
        "05-01",
        "05-06",
        "05-08",
        "05-17",
        "07-14",
        "08-15",
        "11-01",
        "11-11",
        "12-25",
    ],
    2028: [
        "01-01",
        "04-17",
        "05-01",
        "05-08",
        "05-25",
        "06-05",
        "07-14",
        "08-15",
        "11-01",
        "11-11",
        "12-25",
    ],
}


def paris(year: int, month: int, day: int, hour: int) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=PARIS)


@pytest.fixture
def config(tmp_path: Path) -> StationConfig:
    return load_config(write_config(tmp_path))


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_french_holidays_are_computed(year: int) -> None:
    every_day = Schedule.from_ranges("Europe/Paris", [["08:00-20:00"]] * 7, holidays="FR")
    days = [dt.date(year, 1, 1) + dt.timedelta(days=n) for n in range(366)]
    closed = sorted(
        d.strftime("%m-%d") for d in days if d.year == year and not every_day.ranges_on(d)
    )
    assert closed == OFFICIAL[year]
    assert every_day.label_on(dt.date(year, 12, 25)) == "Noël"


def test_a_dated_exception_wins_over_a_holiday() -> None:
    schedule = Schedule.from_ranges(
        "Europe/Paris",
        [["09:00-18:00"]] * 7,
        {dt.date(2027, 5, 6): ["10:00-12:00"]},
        holidays="FR",
        labels={dt.date(2027, 5, 6): "Fête de la science"},
    )
    assert schedule.is_open(paris(2027, 5, 6, 11))  # Ascension, but opened for an event
    assert not schedule.is_open(paris(2027, 5, 6, 14))
    assert schedule.label_on(dt.date(2027, 5, 6)) == "Fête de la science"
    assert not schedule.is_open(paris(2027, 5, 17, 11))  # Whit Monday: closed


def test_hours_hold_across_daylight_saving_changes() -> None:
    schedule = Schedule.from_ranges("Europe/Paris", [["09:00-18:00"]] * 7)
    # 28 March 2027: clocks go forward at 02:00; 09:00 Paris is then 07:00 UTC.
    assert schedule.is_open(dt.datetime(2027, 3, 28, 7, 0, tzinfo=dt.UTC))
    assert not schedule.is_open(dt.datetime(2027, 3, 28, 6, 59, tzinfo=dt.UTC))
    assert schedule.closing_on(dt.date(2027, 3, 28)) == dt.datetime(
        2027, 3, 28, 16, 0, tzinfo=dt.UTC
    )
    # 31 October 2027: back; 09:00 Paris is 08:00 UTC.
    assert not schedule.is_open(dt.datetime(2027, 10, 31, 7, 59, tzinfo=dt.UTC))
    assert schedule.is_open(dt.datetime(2027, 10, 31, 8, 0, tzinfo=dt.UTC))


def test_next_close_follows_ranges_past_midnight() -> None:
    nights = Schedule.from_ranges(
        "Europe/Paris", [["18:00-24:00"], ["00:00-02:00"], [], [], [], [], []]
    )
    assert nights.next_close(paris(2026, 11, 23, 23)) == paris(2026, 11, 24, 2)
    assert nights.next_close(paris(2026, 11, 23, 17)) is None  # closed now
    assert Schedule.open_always().next_close(paris(2026, 11, 23, 17)) is None
    every_hour = Schedule.from_ranges("Europe/Paris", [["00:00-24:00"]] * 7)
    assert every_hour.next_close(paris(2026, 11, 23, 17)) is None  # never in the week


def test_schedule_survives_its_json_form() -> None:
    schedule = Schedule.from_ranges(
        "Europe/Paris",
        [["09:00-12:00", "14:00-24:00"]] * 7,
        {dt.date(2026, 12, 24): ["09:00-16:00"]},
        holidays="FR",
    )
    again = Schedule.from_json(schedule.to_json())
    for hour in range(24):
        for day in (dt.date(2026, 12, 24), dt.date(2026, 12, 25), dt.date(2026, 12, 28)):
            moment = dt.datetime.combine(day, dt.time(hour), PARIS)
            assert again.is_open(moment) == schedule.is_open(moment)
    with pytest.raises(LookupError):
        Schedule.from_json({**schedule.to_json(), "holidays": "XX"})


# ---- the sample configuration's schedules and plans --------------------------------


def holder(plan: str) -> CredentialFacts:
    span = MembershipSpan(dt.date(2026, 1, 1), dt.date(2027, 12, 31), plan)
    return CredentialFacts(
        revoked=False, memberships=(span,), trainings={"laser": None, "printer-3d": None}
    )


def facts(config: StationConfig, agent_id: str) -> ResourceFacts:
    agent = config.agents[agent_id]
    return ResourceFacts(
        agent.resource,
        tuple(agent.trainings),
        config.schedule(agent.schedule),
        plan_windows=plan_windows(config, agent.resource),
    )


@pytest.mark.parametrize(
    ("plan", "agent", "at", "reason"),
    [
        ("resident", "front-door", paris(2026, 12, 6, 3), Reason.GRANTED),  # Sunday, 03:00
        ("resident", "front-door", paris(2026, 12, 25, 12), Reason.GRANTED),  # Christmas
        ("resident", "laser-cutter", paris(2026, 12, 6, 3), Reason.OUTSIDE_OPENING_HOURS),
        ("member", "front-door", paris(2026, 12, 6, 3), Reason.OUTSIDE_PLAN_HOURS),
        ("member", "front-door", paris(2026, 12, 8, 10), Reason.GRANTED),  # Tuesday
        ("member", "front-door", paris(2026, 12, 25, 12), Reason.OUTSIDE_PLAN_HOURS),
        ("member", "laser-cutter", paris(2026, 12, 8, 10), Reason.OUTSIDE_OPENING_HOURS),
        ("member", "laser-cutter", paris(2026, 12, 8, 15), Reason.GRANTED),  # fablab hours
        ("member", "printer-3d", paris(2026, 12, 6, 3), Reason.OUTSIDE_PLAN_HOURS),
        ("visitor", "front-door", paris(2026, 12, 8, 10), Reason.NOT_IN_PLAN),
        ("standard", "front-door", paris(2026, 12, 8, 10), Reason.NOT_IN_PLAN),  # not mapped
    ],
)
def test_sample_plans_and_schedules(
    config: StationConfig, plan: str, agent: str, at: dt.datetime, reason: Reason
) -> None:
    assert decide(holder(plan), facts(config, agent), at).reason is reason


def test_unknown_plans_fall_back_to_the_default(config: StationConfig) -> None:
    assert config.default_plan == "member"
    assert config.plan_of("standard") == "member" and config.plan_of("resident") == "resident"
    assert plan_label(config, "resident", "en") == "Coworking resident"
    assert plan_label(config, "standard") == "Adhérent"


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        (
            {"agents": {"front-door": {"schedule": "nights"}}},
            "agents.front-door.schedule: unknown schedule 'nights'",
        ),
        (
            {"plans": {"resident": {"access": {"sauna": "always"}}}},
            "plans.resident.access: unknown resource or group 'sauna'",
        ),
        ({"plans": {"resident": {"default": True}}}, "plans: 2 plans have default = true"),
        (
            {"schedules": {"always": {"monday": ["09:00-10:00"]}}},
            "schedules.always: 'always' is reserved",
        ),
        (
            {"agents": {"laser-cutter": {"free_access": "opening_hours"}}},
            "agents.laser-cutter.free_access: only a door can be in free access",
        ),
        ({"opening_hours": {"holidays": "XX"}}, "opening_hours.holidays: an ISO country code"),
    ],
)
def test_schedule_and_plan_mistakes_are_named(
    tmp_path: Path, overrides: dict[str, object], problem: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write_config(tmp_path, overrides=overrides))
    assert any(problem in line for line in caught.value.problems), caught.value.problems
