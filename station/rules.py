"""The access rule: may this credential use this resource now, and if not, why.

`decide` is pure: it takes plain facts (no database, no clock) so that the site,
the kiosk and every agent's grant cache reach the same answer from the same facts.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field

from station.credential import ReadFailure
from station.schedule import Schedule


class Reason(enum.StrEnum):
    """Stable reason codes: stored in events and reports. Never rename one."""

    GRANTED = "granted"
    UNKNOWN_BADGE = "unknown_badge"
    BADGE_REVOKED = "badge_revoked"
    NO_VALID_MEMBERSHIP = "no_valid_membership"
    TRAINING_MISSING = "training_missing"
    TRAINING_EXPIRED = "training_expired"
    OUTSIDE_OPENING_HOURS = "outside_opening_hours"
    RESOURCE_DISABLED = "resource_disabled"
    RESOURCE_OUT_OF_ORDER = "resource_out_of_order"
    LOCKDOWN = "lockdown"
    INTERNAL_ERROR = "internal_error"  # an agent's own failure: it denies
    OUTSIDE_PLAN_HOURS = "outside_plan_hours"
    NOT_IN_PLAN = "not_in_plan"
    CLOCK_UNSYNCED = "clock_unsynced"  # the hour matters and the agent's clock is not trusted
    AUTH_FAILED = "auth_failed"  # a secure badge's read: the card did not prove itself
    BAD_READ = "bad_read"  # a secure badge's read: truncated, malformed, card gone mid-way
    SECURE_REQUIRED = "secure_required"  # a plain UID where a secure badge is required


@dataclass(frozen=True)
class MembershipSpan:
    valid_from: dt.date
    valid_until: dt.date | None  # inclusive; None = open-ended
    plan: str = ""  # the membership plan's code; "" when the site declares no plans

    def covers(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class CredentialFacts:
    """What is known of a presented credential and its holder."""

    revoked: bool
    staff: bool = False
    memberships: tuple[MembershipSpan, ...] = ()
    # Training code -> expiry (None: never expires). Absent codes were never granted.
    trainings: Mapping[str, dt.datetime | None] = field(default_factory=dict)
    secure_only: bool = False  # the holder's UID alone is refused everywhere


@dataclass(frozen=True)
class Presented:
    """What the reader handed up: a secure credential, a plain UID, or a secure read
    that failed (`failure`; the facts decided on are then those of its UID, if any)."""

    secure: bool = False
    failure: ReadFailure | None = None

    @classmethod
    def of(cls, secure: bool) -> Presented:
        return SECURE if secure else UID

    @classmethod
    def failed(cls, failure: ReadFailure) -> Presented:
        return cls(secure=False, failure=failure)

    def refusal(self) -> Decision:
        """The denial where a secure badge is required and this is not one."""
        if self.failure is None:
            return Decision(False, Reason.SECURE_REQUIRED)
        return Decision(False, _FAILURES[self.failure])


@dataclass(frozen=True)
class ResourceFacts:
    code: str
    required_trainings: tuple[str, ...] = ()
    schedule: Schedule = field(default_factory=Schedule.open_always)
    enabled: bool = True
    out_of_order: bool = False
    # Plan code -> when its holders may use the resource; a plan absent is refused.
    # None: the site declares no plans, every membership follows `schedule` alone.
    plan_windows: Mapping[str, Schedule] | None = None
    staff_window: Schedule = field(default_factory=Schedule.open_always)
    staff_secure: bool = False  # staff need a secure badge here ([staff] require_secure)
    free_access: Schedule | None = None  # doors: unlocked for everyone while open
    require_secure: bool = False  # a plain UID is refused here (secure_required)
    # Plans whose holders need a secure badge here (station.plans.secure_plans).
    secure_plans: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Decision:
    granted: bool
    reason: Reason
    detail: str = ""  # e.g. the missing training's code


_FAILURES: Mapping[ReadFailure, Reason] = {
    ReadFailure.AUTH_FAILED: Reason.AUTH_FAILED,
    ReadFailure.BAD_READ: Reason.BAD_READ,
}
SECURE = Presented(secure=True)
UID = Presented()


def decide(
    credential: CredentialFacts | None,
    resource: ResourceFacts,
    at: dt.datetime,
    *,
    lockdown: bool = False,
    local_day: dt.date | None = None,
    hours_unknown: bool = False,
    presented: Presented = UID,
) -> Decision:
    """Grant or deny, with the first reason that applies.

    The order puts what the person can do nothing about (the equipment, a lockdown)
    after what identifies them, so an unknown or revoked badge is always named as such.
    Staff pass a lockdown and follow their own window instead of the resource's hours
    and the plans, but do need the training of a machine: safety applies to everyone.
    The resource's own hours come before the plan's: a resident at the laser cutter
    at night is told the fablab is closed, not that their plan is at fault.
    `hours_unknown` (an agent whose clock is not trusted) denies whatever depends on
    the hour, with `clock_unsynced`.
    What was `presented` comes right after who: a plain UID (or a failed secure read
    falling back on its UID) is refused where the resource, the holder or the only plan
    that would grant it asks for a secure badge (docs/agent.md, "Secure badges: policy").
    """
    if credential is None:
        # A secure read that failed on an unknown UID: the card's failure is the news.
        if presented.failure is not None:
            return presented.refusal()
        return Decision(False, Reason.UNKNOWN_BADGE)
    if credential.revoked:
        return Decision(False, Reason.BADGE_REVOKED)
    if not presented.secure and (resource.require_secure or credential.secure_only):
        return presented.refusal()
    if not resource.enabled:
        return Decision(False, Reason.RESOURCE_DISABLED)
    if resource.out_of_order:
        return Decision(False, Reason.RESOURCE_OUT_OF_ORDER)
    if lockdown and not credential.staff:
        return Decision(False, Reason.LOCKDOWN)
    day = local_day or _local_day(at, resource.schedule)
    current = tuple(m for m in credential.memberships if m.covers(day))
    if not credential.staff and not current:
        return Decision(False, Reason.NO_VALID_MEMBERSHIP)
    for code in resource.required_trainings:
        if code not in credential.trainings:
            return Decision(False, Reason.TRAINING_MISSING, code)
        expiry = credential.trainings[code]
        if expiry is not None and expiry <= at:
            return Decision(False, Reason.TRAINING_EXPIRED, code)
    if credential.staff:
        staff = _within((resource.staff_window,), at, hours_unknown, Reason.OUTSIDE_PLAN_HOURS)
        if staff.granted and resource.staff_secure and not presented.secure:
            return presented.refusal()
        return staff
    opening = _within((resource.schedule,), at, hours_unknown, Reason.OUTSIDE_OPENING_HOURS)
    if not opening.granted or resource.plan_windows is None:
        return opening
    plans = {m.plan for m in current if m.plan in resource.plan_windows}
    if not plans:
        return Decision(False, Reason.NOT_IN_PLAN, ",".join(sorted({m.plan for m in current})))
    windows = tuple(resource.plan_windows[plan] for plan in sorted(plans))
    decision = _within(windows, at, hours_unknown, Reason.OUTSIDE_PLAN_HOURS)
    if presented.secure or not decision.granted:
        return decision  # refused anyway: the reason a secure badge would get too
    usable = tuple(resource.plan_windows[p] for p in sorted(plans - resource.secure_plans))
    if _within(usable, at, hours_unknown, Reason.OUTSIDE_PLAN_HOURS).granted:
        return decision
    return presented.refusal()  # only a secure plan lets them in now


def _within(
    windows: tuple[Schedule, ...], at: dt.datetime, hours_unknown: bool, closed: Reason
) -> Decision:
    """Granted if one window is open at `at`; an untrusted clock trusts only `always`."""
    if any(w.always for w in windows):
        return Decision(True, Reason.GRANTED)
    if hours_unknown:
        return Decision(False, Reason.CLOCK_UNSYNCED)
    if any(w.is_open(at) for w in windows):
        return Decision(True, Reason.GRANTED)
    return Decision(False, closed)


def _local_day(at: dt.datetime, schedule: Schedule) -> dt.date:
    from zoneinfo import ZoneInfo

    return at.astimezone(ZoneInfo(schedule.timezone)).date()
