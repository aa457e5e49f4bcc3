"""Staff PINs: argon2id hashes, five wrong PINs in a row lock staff mode for 15 minutes."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station import registry, staff_pin
from station.db import AccessEvent, Member, MemberKind
from station.db.models import StaffPinFailure
from station.privacy import export, forget
from station.protocol.vocabulary import EventType
from station.staff_pin import LOCKOUT, MAX_FAILURES, InvalidPin, NotStaff, PinOutcome

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)
PIN = "4821"
KIOSK = "kiosk-1"
SITE = "site-a"


@pytest.fixture
def sam(site_session: Session) -> Member:
    member = registry.add_member(site_session, "Sam", "Staff", kind=MemberKind.STAFF)
    staff_pin.set_pin(site_session, member, PIN)
    site_session.commit()
    return member


def check(session: Session, member: Member, pin: str, now: dt.datetime = NOW) -> staff_pin.PinCheck:
    return staff_pin.check_pin(session, member, pin, now, kiosk_id=KIOSK, site_id=SITE)


def lock_events(session: Session) -> list[AccessEvent]:
    return list(
        session.scalars(select(AccessEvent).where(AccessEvent.type == EventType.STAFF_PIN_LOCKED))
    )


def test_the_pin_is_kept_as_an_argon2id_hash_only(site_session: Session, sam: Member) -> None:
    assert sam.staff_pin_hash is not None
    assert sam.staff_pin_hash.startswith("$argon2id$")
    assert PIN not in sam.staff_pin_hash
    before = sam.staff_pin_hash
    staff_pin.set_pin(site_session, sam, PIN)
    assert sam.staff_pin_hash != before  # salted: the same PIN hashes differently


def test_right_pin_accepted_wrong_pin_refused(site_session: Session, sam: Member) -> None:
    assert check(site_session, sam, PIN).outcome is PinOutcome.ACCEPTED
    assert check(site_session, sam, PIN).accepted and check(site_session, sam, PIN).reason == ""
    wrong = check(site_session, sam, "4822")
    assert wrong.outcome is PinOutcome.WRONG and not wrong.accepted
    assert wrong.failures == 1 and "4 attempts before lock-out" in wrong.reason


def test_five_wrong_pins_in_a_row_lock_and_are_an_event(site_session: Session, sam: Member) -> None:
    results = [
        check(site_session, sam, "0000", NOW + dt.timedelta(seconds=i)) for i in range(MAX_FAILURES)
    ]
    assert [r.outcome for r in results[:-1]] == [PinOutcome.WRONG] * (MAX_FAILURES - 1)
    assert [r.failures for r in results[:-1]] == [1, 2, 3, 4]
    locked = results[-1]
    last_try = NOW + dt.timedelta(seconds=MAX_FAILURES - 1)
    assert locked.outcome is PinOutcome.LOCKED
    assert locked.locked_until == last_try + LOCKOUT and locked.time_left == LOCKOUT
    assert "locked" in locked.reason and "15 min left" in locked.reason
    site_session.commit()
    (event,) = lock_events(site_session)
    assert (event.agent_id, event.resource, event.site_id) == (KIOSK, KIOSK, SITE)
    assert event.member_id == sam.id and event.at == last_try
    assert event.data["failures"] == MAX_FAILURES


def test_a_locked_member_is_refused_even_with_the_right_pin(
    site_session: Session, sam: Member
) -> None:
    for _ in range(MAX_FAILURES):
        check(site_session, sam, "0000")
    later = NOW + dt.timedelta(minutes=10)
    refused = check(site_session, sam, PIN, later)
    assert refused.outcome is PinOutcome.LOCKED and not refused.accepted
    assert refused.time_left == dt.timedelta(minutes=5) and "5 min left" in refused.reason
    assert len(lock_events(site_session)) == 1  # refusing while locked records no more


def test_the_lock_ends_after_fifteen_minutes_by_now(site_session: Session, sam: Member) -> None:
    for _ in range(MAX_FAILURES):
        check(site_session, sam, "0000")
    just_before = NOW + LOCKOUT - dt.timedelta(seconds=1)
    assert check(site_session, sam, PIN, just_before).outcome is PinOutcome.LOCKED
    assert check(site_session, sam, PIN, NOW + LOCKOUT).outcome is PinOutcome.ACCEPTED


def test_after_a_lock_five_more_wrong_pins_lock_again(site_session: Session, sam: Member) -> None:
    for _ in range(MAX_FAILURES):
        check(site_session, sam, "0000")
    after = NOW + LOCKOUT
    assert check(site_session, sam, "0000", after).failures == 1  # the count started again
    for _ in range(MAX_FAILURES - 1):
        last = check(site_session, sam, "0000", after)
    assert last.outcome is PinOutcome.LOCKED
    assert len(lock_events(site_session)) == 2


def test_a_right_pin_resets_the_count(site_session: Session, sam: Member) -> None:
    for _ in range(MAX_FAILURES - 1):
        check(site_session, sam, "0000")
    assert check(site_session, sam, PIN).accepted
    assert site_session.get(StaffPinFailure, sam.id).failures == 0  # type: ignore[union-attr]
    for _ in range(MAX_FAILURES - 1):
        assert check(site_session, sam, "0000").outcome is PinOutcome.WRONG
    assert lock_events(site_session) == []


def test_the_count_is_per_member_and_kept_in_the_database(
    site_session: Session, sam: Member
) -> None:
    alex = registry.add_member(site_session, "Alex", kind=MemberKind.STAFF)
    staff_pin.set_pin(site_session, alex, "99999")
    for _ in range(MAX_FAILURES):
        check(site_session, sam, "0000")
    ids = sam.id, alex.id
    site_session.commit()
    site_session.expunge_all()  # as a kiosk restarted: only the database remembers
    sam_again, alex_again = (site_session.get(Member, i) for i in ids)
    assert sam_again is not None and alex_again is not None
    assert check(site_session, sam_again, PIN).outcome is PinOutcome.LOCKED
    assert check(site_session, alex_again, "99999").accepted


def test_non_staff_have_no_pin(site_session: Session) -> None:
    camille = registry.add_member(site_session, "Camille", "Martin")
    with pytest.raises(NotStaff, match="Camille Martin is a member, not staff"):
        staff_pin.set_pin(site_session, camille, PIN)
    assert camille.staff_pin_hash is None
    # A member demoted from staff keeps no staff mode, whatever hash the row still holds.
    camille.staff_pin_hash = staff_pin.hash_pin(PIN)
    refused = check(site_session, camille, PIN)
    assert refused.outcome is PinOutcome.NOT_STAFF and not refused.accepted


def test_staff_without_a_pin_or_with_an_unreadable_hash_are_refused(
    site_session: Session, sam: Member
) -> None:
    staff_pin.clear_pin(site_session, sam)
    assert sam.staff_pin_hash is None
    assert check(site_session, sam, PIN).outcome is PinOutcome.NO_PIN
    sam.staff_pin_hash = "not-an-argon2-hash"
    assert check(site_session, sam, PIN).outcome is PinOutcome.NO_PIN


@pytest.mark.parametrize(
    "pin",
    [
        "",
        "123",
        "1234567890123",
        "12a4",
        "12 34",
        " 1234",
        "1234\n",
        "-1234",
        "１２３４",
        "١٢٣٤",
        "12²4",
    ],
)
def test_bad_pin_formats_are_refused(site_session: Session, sam: Member, pin: str) -> None:
    before = sam.staff_pin_hash
    with pytest.raises(InvalidPin, match="4 to 12 digits"):
        staff_pin.set_pin(site_session, sam, pin)
    assert sam.staff_pin_hash == before


@pytest.mark.parametrize("pin", ["0000", "123456789012"])
def test_four_and_twelve_digits_are_accepted(site_session: Session, sam: Member, pin: str) -> None:
    staff_pin.set_pin(site_session, sam, pin)
    assert check(site_session, sam, pin).accepted


def test_erasure_removes_the_pin_and_the_export_only_says_whether_one_is_set(
    site_session: Session, sam: Member
) -> None:
    exported = export(site_session, sam)
    assert exported["member"]["staff_pin_hash"] is True
    assert "$argon2" not in str(exported)
    forget(site_session, sam, now=NOW)
    assert sam.staff_pin_hash is None


def test_refusal_says_what_no_pin_can_open_and_counts_nothing(
    site_session: Session, sam: Member
) -> None:
    assert staff_pin.refusal(site_session, sam, NOW) is None  # the PIN decides
    for _ in range(MAX_FAILURES - 1):
        check(site_session, sam, "0000")
    assert staff_pin.refusal(site_session, sam, NOW) is None
    assert site_session.get(StaffPinFailure, sam.id).failures == MAX_FAILURES - 1  # type: ignore[union-attr]
    check(site_session, sam, "0000")
    locked = staff_pin.refusal(site_session, sam, NOW + dt.timedelta(minutes=1))
    assert locked is not None and locked.outcome is PinOutcome.LOCKED
    assert locked.locked_until == NOW + LOCKOUT and locked.time_left == LOCKOUT - dt.timedelta(
        minutes=1
    )
    assert staff_pin.refusal(site_session, sam, NOW + LOCKOUT) is None
    staff_pin.clear_pin(site_session, sam)
    no_pin = staff_pin.refusal(site_session, sam, NOW + LOCKOUT)
    assert no_pin is not None and no_pin.outcome is PinOutcome.NO_PIN
    camille = registry.add_member(site_session, "Camille", "Martin")
    not_staff = staff_pin.refusal(site_session, camille, NOW)
    assert not_staff is not None and not_staff.outcome is PinOutcome.NOT_STAFF
    assert len(lock_events(site_session)) == 1  # asking records nothing
