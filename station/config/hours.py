"""The sections about time: schedules, membership plans, staff's rule, an agent's clock.

Part of the configuration schema (`station.config.schema`); every field is
documented in docs/configuration.md, generated from these models.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal

from pydantic import field_validator

from station.config.base import Section, Slug, doc

_TIME_RANGE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


class ClockConfig(Section):
    """A Raspberry Pi has no real-time clock: after a power cut it may boot hours or days
    behind (fake-hwclock) until NTP answers, and a spoofed NTP server can move it."""

    max_skew_s: float = doc(
        "The clock is not trusted when it differs from the site "
        "server's signed time by more than this.",
        120.0,
        default=120.0,
        gt=0,
    )
    untrusted: Literal["deny", "last_trusted"] = doc(
        "While the clock is not trusted: 'deny' refuses every decision that depends on "
        "the hour (staff and always-open rights still pass), 'last_trusted' decides on the "
        "newest signed time seen plus the monotonic time elapsed since.",
        "last_trusted",
        default="last_trusted",
    )


WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


class ExceptionDayConfig(Section):
    date: dt.date = doc("The day.", "2026-12-25")
    label: str = doc("Why (shown on the kiosk).", "Noël", default="")
    hours: tuple[str, ...] = doc("Opening ranges that day, empty when closed.", [], default=())

    @field_validator("hours")
    @classmethod
    def _ranges(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_ranges(value)


def _check_ranges(value: tuple[str, ...]) -> tuple[str, ...]:
    for item in value:
        if not _TIME_RANGE.match(item) or item[:5] >= item[6:]:
            raise ValueError(f"a range 'HH:MM-HH:MM' with start before end, got {item!r}")
    return value


class ScheduleConfig(Section):
    monday: tuple[str, ...] = doc("Opening ranges on Mondays.", ["09:00-18:00"], default=())
    tuesday: tuple[str, ...] = doc("Opening ranges on Tuesdays.", ["09:00-18:00"], default=())
    wednesday: tuple[str, ...] = doc("Opening ranges on Wednesdays.", ["09:00-18:00"], default=())
    thursday: tuple[str, ...] = doc("Opening ranges on Thursdays.", ["09:00-18:00"], default=())
    friday: tuple[str, ...] = doc("Opening ranges on Fridays.", ["09:00-21:00"], default=())
    saturday: tuple[str, ...] = doc("Opening ranges on Saturdays.", ["10:00-17:00"], default=())
    sunday: tuple[str, ...] = doc("Opening ranges on Sundays.", [], default=())
    exceptions: tuple[ExceptionDayConfig, ...] = doc(
        "Closures and special hours overriding the week and the holidays.",
        [{"date": "2026-12-24", "label": "Veille de Noël", "hours": ["09:00-16:00"]}],
        default=(),
    )
    holidays: str = doc(
        "Country whose public holidays close this schedule (ISO code, "
        "computed by the holidays package: 'FR' includes Easter Monday, "
        "Ascension and Whit Monday); empty for none. A dated exception "
        "wins over a holiday.",
        "FR",
        default="",
    )

    @field_validator("holidays")
    @classmethod
    def _country(cls, value: str) -> str:
        if value:
            import holidays

            if value not in holidays.list_supported_countries():
                raise ValueError(
                    f"an ISO country code known to the holidays package such as 'FR', got {value!r}"
                )
        return value

    @field_validator(*WEEKDAYS)
    @classmethod
    def _ranges(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _check_ranges(value)


class PlanConfig(Section):
    fr: str = doc("Name in French.", "Résident coworking")
    en: str = doc("Name in English.", "Coworking resident")
    days: int = doc(
        "Default length of a membership of this plan, in days (0: open-ended).",
        365,
        default=365,
        ge=0,
    )
    access: dict[str, Slug] = doc(
        "Access windows: a resource code, a group of [resource_groups] or '*' (every "
        "resource) -> the schedule during which the plan may use it. The most specific "
        "key wins. A resource the plan does not name is refused (not_in_plan).",
        {"front-door": "always", "coworking": "always"},
        default_factory=dict,
    )
    require_secure: Literal["auto", "yes", "no"] = doc(
        "Whether its holders need a secure badge (DESFire) to use a resource through "
        "this plan; a plain UID is then refused (secure_required). 'auto': yes where "
        "the plan's window on the resource is 'always' (24/7 access, often with nobody "
        "around to notice a copied badge), no elsewhere.",
        "auto",
        default="auto",
    )
    default: bool = doc(
        "The plan of memberships that name none, or a plan no longer "
        "declared (exactly one plan is the default).",
        False,
        default=False,
    )


class StaffConfig(Section):
    schedule: Slug = doc(
        "Staff's own rule: they pass every resource (lockdown included) "
        "while this schedule is open, whatever the resource's hours and "
        "the plans; machines still need their training.",
        "always",
        default="always",
    )
    require_secure: Literal["auto", "yes", "no"] = doc(
        "Whether staff need a secure badge (DESFire) to pass through their rule; a "
        "plain UID is then refused (secure_required). 'auto': yes while the schedule "
        "above is 'always' (a copied staff UID would otherwise open everything at any "
        "hour, lockdown included), no for a schedule with hours.",
        "auto",
        default="auto",
    )
