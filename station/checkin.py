"""Checking people in and out at an entrance kiosk: the domain, without any screen.

A tap of a badge is answered at once and the check-in is recorded at the tap, with
the member's last purpose (or the first one offered): the purpose chosen on the
screen then corrects it. So someone who taps and walks away is still counted.
Tapping again while checked in checks out. Every function takes a session and
leaves committing to the caller, like `station.registry`.

The kiosk's rule is its own, not `station.rules.decide`: a check-in counts a person
in, it opens nothing. It reads the same facts as the agents (`station.access`), and
then: an unknown or deleted badge is unknown; a revoked or lost badge is refused as
such; a staff badge opens staff mode (no visit); a person checked in is checked out
whatever their membership (leaving needs no right); a visitor (signed up at a
kiosk) is checked in free of charge; a member is checked in when a membership
covers today at the site, else told it has expired. Opening hours, trainings,
plans' windows and lockdown do not apply: they govern doors and machines.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from station import registry
from station.access import lookup
from station.ages import age_band, birth_year_problem
from station.aggregates import refresh_entry_hours
from station.communes import is_known
from station.config import StationConfig
from station.credential import Credential
from station.db import Badge, BadgeStatus, Member, MemberKind, Visit
from station.db.live import live_get
from station.errors import NotFound, StationError
from station.fields import Field, FieldRefused, clean_email, clean_text
from station.first_visits import first_days, record_first_visits
from station.rules import UID, Presented, Reason
from station.schedule import Schedule

CLOSING = "closing"  # checkout_reason of the automatic check-out at closing time
SELF = "self"  # the person tapped out
STAFF = "staff"  # staff checked someone out who forgot

# A second tap this soon after checking in is an impatient repeat, not a departure:
# it shows the welcome (and purpose choice) again instead of checking out.
REPEAT_TAP = dt.timedelta(minutes=2)


class SignUpField(enum.StrEnum):
    """What a visitor signing up gives, each of which a refusal may ask to correct."""

    CONSENT = "consent"
    FIRST_NAME = "first_name"
    EMAIL = "email"
    COMMUNE = "commune"
    BIRTH_YEAR = "birth_year"  # optional: only a year outside 1900..this year is refused
    # An unknown purpose is `NotFound`, as wherever a purpose is looked up; the
    # kiosk's form still names it as the field to correct.
    PURPOSE = "purpose"


class SignUpError(StationError, ValueError):
    """A visitor's sign-up is refused; ``field`` names what to correct."""

    def __init__(self, field: SignUpField, message: str) -> None:
        super().__init__(message)
        self.field = field


class ConsentRequired(SignUpError):
    """Nothing is stored about a visitor who has not ticked the consent box."""

    def __init__(self) -> None:
        super().__init__(SignUpField.CONSENT, "consent is required before anything is stored")


class Outcome(enum.StrEnum):
    WELCOME = "welcome"  # checked in now
    CHECKED_OUT = "checked_out"
    EXPIRED = "expired"  # no membership covering today
    UNKNOWN = "unknown"
    REVOKED = "revoked"
    STAFF = "staff"  # a staff badge: opens staff mode, no visit
    # Not this card: a plain UID where a secure badge is needed, or a failed secure read
    # (`TapResult.reason` says which: secure_required, auth_failed, bad_read).
    REFUSED_CARD = "refused_card"


@dataclass(frozen=True, slots=True)
class TapResult:
    outcome: Outcome
    member_id: uuid.UUID | None = None
    first_name: str = ""
    purpose: str | None = None  # the purpose recorded (WELCOME) or of the visit (CHECKED_OUT)
    visit_id: uuid.UUID | None = None
    time_spent: dt.timedelta | None = None
    membership_ended: dt.date | None = None  # EXPIRED: last day of the latest membership
    plan: str = ""  # WELCOME: the plan of the membership covering today ("" for none)
    reason: Reason | None = None  # REFUSED_CARD: why


@dataclass(frozen=True, slots=True)
class Presence:
    visit_id: uuid.UUID
    member_id: uuid.UUID
    name: str
    purpose: str
    since: dt.datetime


class Desk:
    """The check-in desk of one kiosk: the site, its purposes and its schedule."""

    def __init__(
        self,
        site_id: str,
        kiosk_id: str,
        timezone: str,
        purposes: Mapping[str, str],
        schedule: Schedule,
        *,
        staff_requires_secure: bool = False,
    ) -> None:
        if not purposes:
            raise ValueError("at least one purpose is needed to check people in")
        self.site_id = site_id
        self.kiosk_id = kiosk_id
        self.zone = ZoneInfo(timezone)
        self.purposes = dict(purposes)  # purpose id -> space, in display order
        self.schedule = schedule  # its closing times check everyone out
        self.staff_requires_secure = staff_requires_secure  # staff mode: secure badges only

    @classmethod
    def from_config(cls, config: StationConfig, kiosk_id: str) -> Desk:
        kiosk = config.kiosks[kiosk_id]
        return cls(
            config.site.id,
            kiosk_id,
            config.site.timezone,
            {p.id: p.space for p in config.purposes},
            config.schedule(kiosk.schedule),
            staff_requires_secure=kiosk.staff_requires_secure,
        )

    # -- badge taps -------------------------------------------------------------------

    def tap(
        self, session: Session, badge_hash: str, now: dt.datetime, presented: Presented = UID
    ) -> TapResult:
        """What a tap of this credential means now; records the check-in or check-out.

        The secure-badge policy is `station.rules.decide`'s: a secure-only member's UID
        (or a failed secure read falling back on it) is refused, and so is staff's where
        staff mode needs a secure badge; a failed read of an unknown UID names the read."""
        found = lookup(session, badge_hash)
        if found is None:
            if presented.failure is not None:
                return TapResult(Outcome.REFUSED_CARD, reason=presented.refusal().reason)
            return TapResult(Outcome.UNKNOWN)
        facts, badge = found
        member = badge.member
        if facts.revoked:
            return TapResult(Outcome.REVOKED, member.id, member.first_name)
        staff = member.kind is MemberKind.STAFF
        if not presented.secure and (facts.secure_only or (staff and self.staff_requires_secure)):
            refusal = presented.refusal().reason
            return TapResult(Outcome.REFUSED_CARD, member.id, member.first_name, reason=refusal)
        if staff:
            return TapResult(Outcome.STAFF, member.id, member.first_name)
        visit = self.open_visit(session, member.id)
        if visit is not None and now - visit.checked_in_at < REPEAT_TAP:
            return TapResult(Outcome.WELCOME, member.id, member.first_name, visit.purpose, visit.id)
        if visit is not None:  # checking out needs no valid membership
            self._close(visit, now, SELF)
            self._tally(session, [visit])
            return TapResult(
                Outcome.CHECKED_OUT,
                member.id,
                member.first_name,
                visit.purpose,
                visit.id,
                now - visit.checked_in_at,
            )
        today = now.astimezone(self.zone).date()
        # Visitors (signed up at a kiosk) come free of charge: no membership needed.
        if member.kind is not MemberKind.VISITOR and not any(
            m.covers(today) for m in facts.memberships
        ):
            ended = max(
                (m.valid_until for m in facts.memberships if m.valid_until is not None),
                default=None,
            )
            return TapResult(Outcome.EXPIRED, member.id, member.first_name, membership_ended=ended)
        purpose = self.default_purpose(member)
        plan = next((m.plan for m in facts.memberships if m.covers(today)), "")
        visit = self.check_in(session, member, purpose, now, plan=plan)
        return TapResult(
            Outcome.WELCOME, member.id, member.first_name, purpose, visit.id, plan=plan
        )

    def default_purpose(self, member: Member) -> str:
        if member.last_purpose in self.purposes:
            return str(member.last_purpose)
        return next(iter(self.purposes))

    def check_in(
        self, session: Session, member: Member, purpose: str, now: dt.datetime, *, plan: str = ""
    ) -> Visit:
        space = self._space(purpose)
        visit = Visit(
            member_id=member.id,
            kiosk_id=self.kiosk_id,
            purpose=purpose,
            space=space,
            checked_in_at=now,
            site_id=self.site_id,
            home_commune=member.home_commune,
            member_kind=member.kind.value,
            plan=plan,
            age_band=age_band(member.birth_year, now.astimezone(self.zone).date()),
        )
        session.add(visit)
        member.last_purpose = purpose
        self._tally(session, [visit])
        return visit

    def choose_purpose(self, session: Session, visit_id: uuid.UUID, purpose: str) -> Visit:
        """Correct the purpose of a visit just recorded, and remember it for next time."""
        visit = session.get(Visit, visit_id)
        if visit is None:
            raise NotFound(f"no visit {visit_id}")
        visit.purpose, visit.space = purpose, self._space(purpose)
        visit.uploaded_at = None  # changed: sync sends it up again
        member = session.get(Member, visit.member_id)
        if member is not None:
            member.last_purpose = purpose
        self._tally(session, [visit])
        return visit

    def _space(self, purpose: str) -> str:
        try:
            return self.purposes[purpose]
        except KeyError:
            raise NotFound(
                f"unknown purpose {purpose!r}; expected one of {', '.join(self.purposes)}"
            ) from None

    # -- presence ---------------------------------------------------------------------

    def open_visit(self, session: Session, member_id: uuid.UUID) -> Visit | None:
        return session.scalar(
            select(Visit)
            .where(
                Visit.site_id == self.site_id,
                Visit.member_id == member_id,
                Visit.checked_out_at.is_(None),
            )
            .order_by(Visit.checked_in_at.desc())
            .limit(1)
        )

    def who_is_in(self, session: Session) -> list[Presence]:
        rows = session.execute(
            select(Visit, Member)
            .join(Member, Member.id == Visit.member_id)
            .where(Visit.site_id == self.site_id, Visit.checked_out_at.is_(None))
            .order_by(Visit.checked_in_at)
        )
        return [Presence(v.id, m.id, m.display_name, v.purpose, v.checked_in_at) for v, m in rows]

    def check_out(
        self, session: Session, visit_id: uuid.UUID, now: dt.datetime, reason: str = STAFF
    ) -> Visit:
        visit = session.get(Visit, visit_id)
        if visit is None or visit.site_id != self.site_id:
            raise NotFound(f"no visit {visit_id} at this site")
        if visit.checked_out_at is None:
            self._close(visit, now, reason)
            self._tally(session, [visit])
        return visit

    def closing_after(self, at: dt.datetime) -> dt.datetime:
        """The first closing time of the schedule after `at` (exceptions and holidays
        included): a resident checked in at night stays in until the next closing.
        A schedule that never closes in the coming week ends visits at midnight."""
        day = at.astimezone(self.zone).date()
        for offset in range(8):
            closing = self.schedule.closing_on(day + dt.timedelta(days=offset))
            if closing is not None and closing > at:
                return closing
        end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), self.zone)
        return end_of_day.astimezone(dt.UTC)

    def auto_check_out(self, session: Session, now: dt.datetime) -> int:
        """Check out, reason 'closing', everyone still in after their closing time.

        A visit ends at the first closing after its check-in, also when the kiosk was
        off at that moment (it is then closed at that closing time, not later). Safe
        to call as often as wanted.
        """
        closed: list[Visit] = []
        for visit in session.scalars(
            select(Visit).where(Visit.site_id == self.site_id, Visit.checked_out_at.is_(None))
        ):
            due = self.closing_after(visit.checked_in_at)
            if now >= due:
                self._close(visit, due, CLOSING)
                closed.append(visit)
        self._tally(session, closed)
        return len(closed)

    def _tally(self, session: Session, visits: list[Visit]) -> None:
        """The local hours of `visits` recomputed in the daily tallies, in this
        transaction (a visit's cell is that of its check-in's hour, whatever changed)."""
        session.flush()
        hours = {_local_hour(v.checked_in_at, self.zone) for v in visits}
        refresh_entry_hours(session.connection(), self.site_id, self.zone, hours)
        firsts = first_days(((v.member_id, v.checked_in_at) for v in visits), self.zone)
        record_first_visits(session.connection(), self.site_id, firsts)

    @staticmethod
    def _close(visit: Visit, at: dt.datetime, reason: str) -> None:
        visit.checked_out_at, visit.checkout_reason = at, reason
        visit.uploaded_at = None  # changed: sync sends it up again (docs/sync.md)

    # -- visitors and badges ----------------------------------------------------------

    def sign_up_visitor(
        self,
        session: Session,
        first_name: str,
        *,
        email: str = "",
        commune: str,
        purpose: str,
        consent: bool,
        now: dt.datetime,
        birth_year: int | None = None,
    ) -> tuple[Member, Visit]:
        """Record a visitor who has no badge, and check them in.

        Refused, with nothing stored, without consent or with unusable input.
        """
        if not consent:
            raise ConsentRequired()
        try:
            first_name = clean_text(Field.FIRST_NAME, first_name, required=True)
        except FieldRefused as refused:
            raise SignUpError(SignUpField.FIRST_NAME, refused.detail) from refused
        try:
            email = clean_email(email) or ""
        except FieldRefused as refused:
            raise SignUpError(SignUpField.EMAIL, refused.detail) from refused
        if not is_known(commune):
            raise SignUpError(SignUpField.COMMUNE, f"unknown commune code {commune!r}")
        today = now.astimezone(self.zone).date()
        if (problem := birth_year_problem(birth_year, today)) is not None:
            raise SignUpError(SignUpField.BIRTH_YEAR, f"expected {problem}")
        self._space(purpose)
        member = registry.add_member(
            session,
            first_name,
            kind=MemberKind.VISITOR,
            email=email or None,
            home_commune=commune,
            birth_year=birth_year,
            consent_at=now,
            origin_site=self.site_id,
            today=today,
        )
        return member, self.check_in(session, member, purpose, now)

    def enrol(
        self,
        session: Session,
        member_id: uuid.UUID,
        credential: Credential,
        key: bytes,
        label: str = "",
    ) -> Badge:
        """Give a blank badge to a member; `Conflict` naming the holder if it is taken."""
        member = live_get(session, Member, member_id)
        if member is None:
            raise NotFound(f"no member {member_id}")
        return registry.enroll_badge(
            session, member, credential, key, label=label, origin_site=self.site_id
        )

    def revoke(self, session: Session, badge_hash: str) -> Badge:
        badge = registry.badge_by_hash(session, badge_hash)
        if badge is None:
            raise NotFound("this badge is not enrolled")
        return registry.revoke_badge(
            session, badge, status=BadgeStatus.REVOKED, origin_site=self.site_id
        )


def _local_hour(moment: dt.datetime, zone: ZoneInfo) -> tuple[dt.date, int]:
    local = moment.astimezone(zone)
    return local.date(), local.hour
