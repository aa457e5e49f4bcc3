"""Membership plans: which plan may use which resource, and when (from the configuration).

A plan's `access` names resources, groups of resources or '*'; the most specific key
wins. The windows are resolved here, at the site, and travel in each agent's grant
snapshot, so that an agent decides offline with the same rule.
"""

from __future__ import annotations

from station.config import StationConfig
from station.fields import Field, FieldRefused, Rule
from station.memberships import DEFAULT_PLAN
from station.schedule import Schedule

WILDCARD = "*"
UNDECLARED_DAYS = 365  # a membership's length when the site declares no plans


def membership_plan(config: StationConfig | None, wanted: str | None) -> str:
    """The plan to record: `wanted`, checked against [plans], or the default plan
    (the command line and the console alike; no configuration: no plans declared)."""
    plans = config.plans if config is not None else {}
    if not wanted:
        return (config.default_plan if config is not None else "") or DEFAULT_PLAN
    if plans and wanted not in plans:
        raise FieldRefused(
            Field.PLAN,
            Rule.UNKNOWN_PLAN,
            f"unknown plan {wanted!r}; expected one of {', '.join(plans)}",
        )
    return wanted


def plan_days(config: StationConfig | None, plan: str) -> int:
    """The default length of a membership of `plan`, in days (0: open-ended)."""
    declared = config.plans.get(plan) if config is not None else None
    return declared.days if declared is not None else UNDECLARED_DAYS


def window_name(config: StationConfig, plan_code: str, resource: str) -> str | None:
    """The schedule during which `plan_code` may use `resource`; None: not at all."""
    access = config.plans[plan_code].access
    if resource in access:
        return access[resource]
    for group, members in config.resource_groups.items():
        if resource in members and group in access:
            return access[group]
    return access.get(WILDCARD)


def plan_windows(config: StationConfig, resource: str) -> dict[str, Schedule] | None:
    """{plan: window} for the plans that may use `resource`; None when no plan is declared."""
    if not config.plans:
        return None
    windows: dict[str, Schedule] = {}
    for code in config.plans:
        name = window_name(config, code, resource)
        if name is not None:
            windows[code] = config.schedule(name)
    return windows


def secure_plans(config: StationConfig, resource: str) -> frozenset[str]:
    """The plans whose holders need a secure badge at `resource`: those that say so,
    and by default those whose window there is `always` (24/7, often unattended)."""
    secure: set[str] = set()
    for code, plan in config.plans.items():
        name = window_name(config, code, resource)
        if name is None:
            continue
        wanted = plan.require_secure
        if wanted == "yes" or (wanted == "auto" and config.schedule(name).always):
            secure.add(code)
    return frozenset(secure)


def staff_secure(config: StationConfig) -> bool:
    """Whether staff need a secure badge to pass through their rule: by default while
    that rule is `always`, since staff pass every resource and every lockdown."""
    wanted = config.staff.require_secure
    return wanted == "yes" or (wanted == "auto" and config.schedule(config.staff.schedule).always)


def plan_label(config: StationConfig, plan_code: str, language: str = "fr") -> str:
    """The plan's name as shown to people ('' when the site declares no plans)."""
    code = config.plan_of(plan_code)
    if not code:
        return ""
    plan = config.plans[code]
    return plan.en if language == "en" else plan.fr
