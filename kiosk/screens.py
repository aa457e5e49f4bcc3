"""What each kiosk screen shows: its name and the plain data the controller emits
for it, with the kiosk's own words as `StrEnum`s. The views draw these; neither
side knows the other's internals."""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass

from kiosk.service import AgentRow, MemberRow
from station import calendar
from station.checkin import Presence, SignUpField
from station.staff_pin import PinOutcome
from station.today import DayHours, SpaceFill, Tallies


class Screen(enum.StrEnum):
    IDLE = "idle"
    WELCOME = "welcome"
    GOODBYE = "goodbye"
    PROBLEM = "problem"
    VISITOR = "visitor"
    VISITOR_BADGE = "visitor_badge"
    STAFF_PIN = "staff_pin"  # the PIN pad, before staff mode opens or the kiosk quits
    STAFF = "staff"


class Problem(enum.StrEnum):
    """What the banner says is unavailable (`problems_changed`)."""

    DATABASE = "database"
    READER = "reader"
    BUS = "bus"


class ProblemKind(enum.StrEnum):
    """Why a badge did not check in (the problem screen)."""

    EXPIRED = "expired"
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    DATABASE = "database"
    SECURE_REQUIRED = "secure_required"  # a plain UID where a secure badge is needed
    AUTH_FAILED = "auth_failed"  # a secure badge that did not prove itself (a copy?)
    BAD_READ = "bad_read"  # a secure read cut short: try again


class Unsaved(enum.StrEnum):
    """Why the visitor form was not saved when no field is to blame."""

    DATABASE = "database"


# What the visitor form says: the field to correct (`SignUpError.field`), or why not saved.
VisitorError = SignUpField | Unsaved


class EnrolError(enum.StrEnum):
    """Why a badge tapped for enrolment was not given."""

    CONFLICT = "conflict"  # someone else holds it
    DATABASE = "database"


class Pending(enum.StrEnum):
    """What staff mode waits for a badge to do."""

    ENROL = "enrol"
    REVOKE = "revoke"


class PinPurpose(enum.StrEnum):
    """What the PIN pad opens once the right PIN is typed."""

    STAFF_MODE = "staff_mode"
    QUIT = "quit"


# After these no PIN can help (until the lock-out ends, a PIN is set, ...): the pad
# takes no more digits and only goes back.
PIN_FINAL = frozenset({PinOutcome.LOCKED, PinOutcome.NO_PIN, PinOutcome.NOT_STAFF})


class Notice(enum.StrEnum):
    """The outcome of staff mode's last action, said on its screen."""

    CHECKED_OUT = "checked_out"
    ENROLLED = "enrolled"
    REVOKED = "revoked"
    NOT_ENROLLED = "not_enrolled"
    CONFLICT = "conflict"
    DATABASE = "database"
    BUS_DOWN = "bus_down"
    COMMAND_SENT = "command_sent"
    COMMAND_DONE = "command_done"
    COMMAND_REFUSED = "command_refused"


@dataclass(frozen=True)
class Purpose:
    id: str
    fr: str
    en: str

    def label(self, language: str) -> str:
        return self.en if language == "en" else self.fr


@dataclass(frozen=True)
class Space:
    id: str
    fr: str
    en: str

    def label(self, language: str) -> str:
        return self.en if language == "en" else self.fr


@dataclass(frozen=True)
class IdleInfo:
    site_name: str
    hours: DayHours | None = None
    people_in: int | None = None
    events: tuple[calendar.Event, ...] = ()
    spaces: tuple[SpaceFill, ...] = ()  # spaces with a capacity: how full they are now


@dataclass(frozen=True)
class WelcomeData:
    first_name: str
    purpose: str
    visit_id: uuid.UUID
    confirmed: bool = False
    plan: tuple[str, str] | None = None  # the membership plan's name, French and English


@dataclass(frozen=True)
class GoodbyeData:
    first_name: str
    time_spent: dt.timedelta


@dataclass(frozen=True)
class ProblemData:
    kind: ProblemKind
    first_name: str = ""
    membership_ended: dt.date | None = None


@dataclass(frozen=True)
class VisitorBadgeData:
    first_name: str
    member_id: uuid.UUID
    enrolled: bool = False
    error: EnrolError | None = None


@dataclass(frozen=True)
class StaffData:
    staff_name: str
    presences: tuple[Presence, ...] = ()
    agents: tuple[AgentRow, ...] = ()
    tallies: Tallies | None = None
    spaces: tuple[SpaceFill, ...] = ()
    results: tuple[MemberRow, ...] = ()
    pending: Pending | None = None  # waiting for a badge
    pending_member: str = ""
    notice: Notice | None = None
    notice_detail: str = ""
    bus_connected: bool = False
    # Central's refusals of this site's uploads not dealt with yet (they come down with
    # the sync, `station.refusals.open_count`): the staff see them in the console.
    open_refusals: int = 0


@dataclass(frozen=True)
class PinPadData:
    """The PIN pad: whose PIN, for what, and what came of the last one (never the PIN)."""

    staff_name: str
    purpose: PinPurpose
    outcome: PinOutcome | None = None  # None: nothing typed yet
    tries_left: int = 0  # WRONG: before the lock-out
    locked_until: dt.datetime | None = None  # LOCKED
    database: bool = False  # the PIN could not be checked: the database did not answer

    @property
    def final(self) -> bool:
        return self.outcome in PIN_FINAL
