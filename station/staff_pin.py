"""Staff PINs: what a staff badge needs beside itself to open the kiosk's staff mode.

A badge's UID is copied with a 20-euro card; a PIN is what the copier does not have.
The PIN is set at central (`station member pin`), kept only as an argon2id hash on
the member row, and comes down to the sites with it; the grant compiler never reads
it, so no agent ever holds it. Wrong attempts are counted at the site, per member,
in `staff_pin_failures` (site-only: a restart of the kiosk does not reset them):
five wrong PINs in a row lock that member's staff mode for 15 minutes, and each
lock-out is an access event naming the kiosk.

Time is always the caller's `now`, never the wall clock: the kiosk passes its clock,
tests pass theirs.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy.orm import Session

from station.db import AccessEvent, Member, MemberKind
from station.db.models import StaffPinFailure
from station.errors import InvalidInput
from station.ids import new_event_id
from station.protocol.vocabulary import EventType

MIN_DIGITS, MAX_DIGITS = 4, 12
MAX_FAILURES = 5
LOCKOUT = dt.timedelta(minutes=15)
# ASCII digits only: str.isdigit() would also take "²" or Arabic-Indic digits,
# which a PIN pad cannot type.
_PIN = re.compile(rf"[0-9]{{{MIN_DIGITS},{MAX_DIGITS}}}")
# argon2-cffi's defaults are RFC 9106's low-memory profile (argon2id, 64 MiB, t=3);
# the parameters travel in the hash, so a later change keeps old hashes verifiable.
_HASHER = PasswordHasher()


class InvalidPin(InvalidInput):
    """A PIN that is not 4 to 12 digits."""


class NotStaff(InvalidInput):
    """A PIN asked for someone who is not staff: only staff mode needs one."""


class PinOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    LOCKED = "locked"  # refused whatever the PIN, until `locked_until`
    NO_PIN = "no_pin"  # staff without a usable PIN: staff mode stays closed
    NOT_STAFF = "not_staff"


@dataclass(frozen=True)
class PinCheck:
    outcome: PinOutcome
    failures: int = 0  # wrong PINs in a row after this check
    locked_until: dt.datetime | None = None
    time_left: dt.timedelta = dt.timedelta(0)  # of the lock-out, from the check's `now`

    @property
    def accepted(self) -> bool:
        return self.outcome is PinOutcome.ACCEPTED

    @property
    def reason(self) -> str:
        """Why staff mode stays closed (empty when accepted), for a person to read."""
        if self.outcome is PinOutcome.LOCKED:
            minutes = max(1, -(-int(self.time_left.total_seconds()) // 60))
            return f"staff mode locked after {MAX_FAILURES} wrong PINs: {minutes} min left"
        if self.outcome is PinOutcome.WRONG:
            left = MAX_FAILURES - self.failures
            return f"wrong PIN ({left} attempt{'s' if left > 1 else ''} before lock-out)"
        if self.outcome is PinOutcome.NO_PIN:
            return "no staff PIN set: run `station member pin` at the registry"
        if self.outcome is PinOutcome.NOT_STAFF:
            return "not a staff member"
        return ""


def validate_pin(pin: str) -> str:
    """`pin` if it is 4 to 12 digits, else `InvalidPin` saying what is expected."""
    if not _PIN.fullmatch(pin):
        raise InvalidPin(f"a PIN is {MIN_DIGITS} to {MAX_DIGITS} digits (0-9), nothing else")
    return pin


def hash_pin(pin: str) -> str:
    """The argon2id hash of a valid PIN (salted: two hashes of one PIN differ)."""
    return _HASHER.hash(validate_pin(pin))


def set_pin(session: Session, member: Member, pin: str) -> None:
    """Give a staff member a new PIN (at central: the session assigns the revision)."""
    _require_staff(member)
    member.staff_pin_hash = hash_pin(pin)
    session.flush()


def clear_pin(session: Session, member: Member) -> None:
    """Remove a member's PIN: their staff mode stays closed until a new one is set."""
    member.staff_pin_hash = None
    session.flush()


def check_pin(
    session: Session,
    member: Member,
    pin: str,
    now: dt.datetime,
    *,
    kiosk_id: str,
    site_id: str,
) -> PinCheck:
    """Whether `pin` opens `member`'s staff mode at `now`, counting wrong PINs.

    A locked member is refused even with the right PIN; the fifth wrong PIN in a row
    locks for `LOCKOUT` and records a `STAFF_PIN_LOCKED` event by `kiosk_id`.
    """
    if member.kind is not MemberKind.STAFF:
        return PinCheck(PinOutcome.NOT_STAFF)
    state = session.get(StaffPinFailure, member.id, with_for_update=True)
    refused = _refused(member, state, now)
    if refused is not None:
        return refused
    try:
        _HASHER.verify(member.staff_pin_hash or "", pin)  # not empty: `_refused` said NO_PIN
    except InvalidHashError:
        return PinCheck(PinOutcome.NO_PIN)  # an unreadable hash opens nothing
    except VerificationError:
        return _wrong(session, member, state, now, kiosk_id=kiosk_id, site_id=site_id)
    if state is not None:
        state.failures, state.locked_until = 0, None
        session.flush()
    return PinCheck(PinOutcome.ACCEPTED)


def refusal(session: Session, member: Member, now: dt.datetime) -> PinCheck | None:
    """What keeps `member`'s staff mode closed at `now` whatever PIN is typed (not
    staff, locked, no PIN), or None when the PIN decides. Counts nothing: the kiosk
    asks it before showing its PIN pad, so that nobody types a PIN in vain."""
    if member.kind is not MemberKind.STAFF:
        return PinCheck(PinOutcome.NOT_STAFF)
    return _refused(member, session.get(StaffPinFailure, member.id), now)


def _refused(member: Member, state: StaffPinFailure | None, now: dt.datetime) -> PinCheck | None:
    if state is not None and state.locked_until is not None and state.locked_until > now:
        return _locked(state.locked_until, now)
    if not member.staff_pin_hash:
        return PinCheck(PinOutcome.NO_PIN)
    return None


def _require_staff(member: Member) -> None:
    if member.kind is not MemberKind.STAFF:
        raise NotStaff(
            f"{member.display_name} is a {member.kind.value}, not staff: only staff "
            f"have a PIN (it guards the kiosk's staff mode)"
        )


def _failure_row(session: Session, member: Member) -> StaffPinFailure:
    """The member's counter row, created if absent, locked for this transaction.

    Two kiosks may both have found no row: a plain INSERT from the second would fail
    on the key once the first commits, and its wrong PIN would go uncounted. ON
    CONFLICT DO NOTHING makes the second wait for the first's commit and insert
    nothing; reading the row again FOR UPDATE then gives it the first one's count.
    """
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
    session.execute(
        insert(StaffPinFailure)
        .values(member_id=member.id, failures=0)
        .on_conflict_do_nothing(index_elements=[StaffPinFailure.member_id])
    )
    state = session.get(StaffPinFailure, member.id, with_for_update=True, populate_existing=True)
    assert state is not None  # inserted above, or by whoever won the race
    return state


def _locked(until: dt.datetime, now: dt.datetime) -> PinCheck:
    return PinCheck(PinOutcome.LOCKED, locked_until=until, time_left=until - now)


def _wrong(
    session: Session,
    member: Member,
    state: StaffPinFailure | None,
    now: dt.datetime,
    *,
    kiosk_id: str,
    site_id: str,
) -> PinCheck:
    if state is None:
        state = _failure_row(session, member)
    state.failures += 1
    if state.failures < MAX_FAILURES:
        session.flush()
        return PinCheck(PinOutcome.WRONG, failures=state.failures)
    # Locked: the count starts again, so the lock's end gives five more attempts.
    until = now + LOCKOUT
    state.failures, state.locked_until = 0, until
    session.add(
        AccessEvent(
            id=new_event_id(),
            site_id=site_id,
            agent_id=kiosk_id,
            resource=kiosk_id,
            type=EventType.STAFF_PIN_LOCKED,
            member_id=member.id,
            at=now,
            data={"failures": MAX_FAILURES, "locked_until": until.isoformat()},
        )
    )
    session.flush()
    return _locked(until, now)
