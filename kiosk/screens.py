"""What each kiosk screen shows: its name and the plain data the controller emits
for it. The views draw these; neither side knows the other's internals."""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from kiosk.service import AgentRow, MemberRow
from station import calendar
from station.checkin import Presence
from station.today import DayHours, SpaceFill, Tallies

IDLE, WELCOME, GOODBYE, PROBLEM, VISITOR, VISITOR_BADGE, STAFF = (
    "idle",
    "welcome",
    "goodbye",
    "problem",
    "visitor",
    "visitor_badge",
    "staff",
)


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
    kind: str  # expired | unknown | revoked | database
    first_name: str = ""
    membership_ended: dt.date | None = None


@dataclass(frozen=True)
class VisitorBadgeData:
    first_name: str
    member_id: uuid.UUID
    enrolled: bool = False
    error: str = ""  # conflict | database


@dataclass(frozen=True)
class StaffData:
    staff_name: str
    presences: tuple[Presence, ...] = ()
    agents: tuple[AgentRow, ...] = ()
    tallies: Tallies | None = None
    spaces: tuple[SpaceFill, ...] = ()
    results: tuple[MemberRow, ...] = ()
    pending: str = ""  # enrol | revoke: waiting for a badge
    pending_member: str = ""
    notice: str = ""  # code of the last action's outcome, see StaffView.NOTICES
    notice_detail: str = ""
    bus_connected: bool = False
