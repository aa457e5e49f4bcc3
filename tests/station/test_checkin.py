"""The check-in desk's domain (station.checkin, station.today, station.calendar)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station import registry
from station.calendar import events_on
from station.checkin import CLOSING, ConsentRequired, Desk, Outcome, SignUpError, SignUpField
from station.communes import OTHER_COMMUNE, load_communes
from station.config import StationConfig, load_config
from station.credential import Credential, CredentialKind
from station.db import Badge, Member, MemberKind, Visit, make_engine
from station.errors import Conflict
from station.rules import SECURE, Reason
from station.seed import seed_site
from station.today import hours_today, people_in, tallies_today

PARIS = ZoneInfo("Europe/Paris")
# A Tuesday in November: open 09:00-18:00 in the sample configuration.
NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=PARIS).astimezone(dt.UTC)
FAR = dt.date(2099, 12, 31)


@pytest.fixture
def config(config_file: Path) -> StationConfig:
    return load_config(config_file)


@pytest.fixture
def session(site_db: str, config: StationConfig) -> Iterator[Session]:
    engine = make_engine(site_db)
    with Session(engine, expire_on_commit=False) as session:
        seed_site(session, config)
        session.commit()
        yield session
    engine.dispose()


@pytest.fixture
def desk(config: StationConfig) -> Desk:
    return Desk.from_config(config, "entrance")


def member(
    session: Session,
    config: StationConfig,
    uid: str,
    *,
    until: dt.date | None,
    kind: MemberKind = MemberKind.MEMBER,
    name: str = "Alice",
) -> str:
    """A member with a badge; returns the badge's keyed hash."""
    m = registry.add_member(
        session, name, "Martin", kind=kind, membership_until=until, today=dt.date(2026, 1, 1)
    )
    badge = registry.enroll_badge(session, m, Credential.uid(uid), config.badge_key)
    return badge.hash


def test_member_checks_in_with_default_purpose_then_out(session, config, desk) -> None:
    badge = member(session, config, "04A1B2C3", until=dt.date(2026, 12, 31))
    result = desk.tap(session, badge, NOW)
    assert result.outcome is Outcome.WELCOME and result.first_name == "Alice"
    assert result.purpose == "coworking"  # first purpose of the config
    visit = session.get(Visit, result.visit_id)
    assert visit is not None
    assert (visit.site_id, visit.kiosk_id, visit.space) == (
        "saint-omer-gare",
        "entrance",
        "coworking",
    )
    assert visit.member_kind == "member" and visit.checked_out_at is None
    later = NOW + dt.timedelta(hours=2, minutes=5)
    out = desk.tap(session, badge, later)
    assert out.outcome is Outcome.CHECKED_OUT
    assert out.time_spent == dt.timedelta(hours=2, minutes=5)
    assert visit.checked_out_at == later and visit.checkout_reason == "self"


def test_a_repeated_tap_right_after_check_in_does_not_check_out(session, config, desk) -> None:
    badge = member(session, config, "04A1B2C3", until=FAR)
    first = desk.tap(session, badge, NOW)
    again = desk.tap(session, badge, NOW + dt.timedelta(seconds=30))
    assert again.outcome is Outcome.WELCOME and again.visit_id == first.visit_id
    assert len(session.scalars(select(Visit)).all()) == 1
    assert desk.tap(session, badge, NOW + dt.timedelta(minutes=3)).outcome is Outcome.CHECKED_OUT


def test_purpose_choice_is_recorded_and_remembered(session, config, desk) -> None:
    badge = member(session, config, "04A1B2C3", until=FAR)
    first = desk.tap(session, badge, NOW)
    assert first.visit_id is not None
    desk.choose_purpose(session, first.visit_id, "fablab")
    visit = session.get(Visit, first.visit_id)
    assert visit is not None and (visit.purpose, visit.space) == ("fablab", "fablab")
    desk.tap(session, badge, NOW + dt.timedelta(hours=1))  # out
    again = desk.tap(session, badge, NOW + dt.timedelta(days=1))
    assert again.outcome is Outcome.WELCOME and again.purpose == "fablab"


def test_expired_unknown_revoked_and_staff(session, config, desk) -> None:
    expired = member(session, config, "04000001", until=dt.date(2026, 6, 30))
    result = desk.tap(session, expired, NOW)
    assert result.outcome is Outcome.EXPIRED
    assert result.membership_ended == dt.date(2026, 6, 30)
    assert (
        desk.tap(session, Credential.uid("04FFFFFF").keyed_hash(config.badge_key), NOW).outcome
        is Outcome.UNKNOWN
    )
    revoked = member(session, config, "04000002", until=FAR, name="Bob")
    desk.revoke(session, revoked)
    assert desk.tap(session, revoked, NOW).outcome is Outcome.REVOKED
    staff = member(session, config, "04000003", until=FAR, kind=MemberKind.STAFF)
    # Staff mode asks for a secure badge (`staff_requires_secure`): her plain UID is refused.
    refused = desk.tap(session, staff, NOW)
    assert (refused.outcome, refused.reason) == (Outcome.REFUSED_CARD, Reason.SECURE_REQUIRED)
    holder = session.scalars(select(Badge).where(Badge.hash == staff)).one().member
    card = Credential(CredentialKind.SECURE, bytes(range(16)))
    secure = registry.enroll_badge(session, holder, card, config.badge_key).hash
    assert desk.tap(session, secure, NOW, SECURE).outcome is Outcome.STAFF
    assert session.scalars(select(Visit)).all() == []  # none of these checked in


def test_visitor_sign_up_needs_consent_and_valid_input(session, desk) -> None:
    with pytest.raises(ConsentRequired):
        desk.sign_up_visitor(
            session, "Chloé", commune="62765", purpose="fablab", consent=False, now=NOW
        )
    with pytest.raises(SignUpError) as bad_email:
        desk.sign_up_visitor(
            session,
            "Chloé",
            email="not-an-email",
            commune="62765",
            purpose="fablab",
            consent=True,
            now=NOW,
        )
    assert bad_email.value.field is SignUpField.EMAIL
    with pytest.raises(SignUpError):
        desk.sign_up_visitor(
            session, "  ", commune="62765", purpose="fablab", consent=True, now=NOW
        )
    assert session.scalars(select(Member)).all() == []  # nothing stored when refused
    visitor, visit = desk.sign_up_visitor(
        session,
        "Chloé",
        email="c@example.org",
        commune=OTHER_COMMUNE,
        purpose="fablab",
        consent=True,
        now=NOW,
    )
    assert visitor.kind is MemberKind.VISITOR and visitor.consent_at == NOW
    assert visitor.origin_site == "saint-omer-gare" and visitor.dirty
    assert (visit.member_kind, visit.home_commune, visit.purpose) == ("visitor", "00000", "fablab")


def test_enrol_blank_badge_for_visitor_then_tap_welcomes(session, config, desk) -> None:
    visitor, visit = desk.sign_up_visitor(
        session, "Chloé", commune="62765", purpose="event", consent=True, now=NOW
    )
    badge = desk.enrol(session, visitor.id, Credential.uid("04C0FFEE"), config.badge_key)
    assert badge.origin_site == "saint-omer-gare" and badge.dirty
    desk.check_out(session, visit.id, NOW + dt.timedelta(hours=1))
    # A visitor needs no membership: the new badge welcomes them next time.
    result = desk.tap(session, badge.hash, NOW + dt.timedelta(days=2))
    assert result.outcome is Outcome.WELCOME and result.purpose == "event"
    other = registry.add_member(session, "Dan")
    with pytest.raises(Conflict, match="Chloé"):
        desk.enrol(session, other.id, Credential.uid("04C0FFEE"), config.badge_key)
    assert session.scalars(select(Badge)).one().member_id == visitor.id


def test_who_is_in_and_staff_check_out(session, config, desk) -> None:
    a = member(session, config, "04000001", until=FAR, name="Alice")
    b = member(session, config, "04000002", until=FAR, name="Bob")
    desk.tap(session, a, NOW)
    desk.tap(session, b, NOW + dt.timedelta(minutes=1))
    present = desk.who_is_in(session)
    assert [p.name for p in present] == ["Alice Martin", "Bob Martin"]
    desk.check_out(session, present[0].visit_id, NOW + dt.timedelta(hours=1))
    assert [p.name for p in desk.who_is_in(session)] == ["Bob Martin"]
    assert people_in(session, "saint-omer-gare") == 1


def test_auto_check_out_at_closing_and_for_earlier_days(session, config, desk) -> None:
    a = member(session, config, "04000001", until=FAR, name="Alice")
    b = member(session, config, "04000002", until=FAR, name="Bob")
    yesterday = NOW - dt.timedelta(days=1)
    desk.tap(session, a, yesterday)  # forgot to check out yesterday
    desk.tap(session, b, NOW)
    assert desk.auto_check_out(session, NOW) == 1  # before closing: only yesterday's
    old = session.scalars(select(Visit).where(Visit.checked_in_at == yesterday)).one()
    assert old.checkout_reason == CLOSING
    # Monday's closing time from the opening hours (09:00-18:00), not a fixed hour.
    assert old.checked_out_at == dt.datetime(2026, 11, 23, 18, 0, tzinfo=PARIS)
    closing = dt.datetime(2026, 11, 24, 18, 0, 30, tzinfo=PARIS).astimezone(dt.UTC)
    assert desk.auto_check_out(session, closing - dt.timedelta(minutes=1)) == 0
    assert desk.auto_check_out(session, closing) == 1
    assert desk.auto_check_out(session, closing) == 0  # idempotent
    assert desk.who_is_in(session) == []
    assert {v.checkout_reason for v in session.scalars(select(Visit))} == {CLOSING}


def test_closing_time_follows_exceptions_holidays_and_night_check_ins(
    session, config, desk
) -> None:
    a = member(session, config, "04000001", until=FAR, name="Alice")
    b = member(session, config, "04000002", until=FAR, name="Bob")
    # Christmas Eve is an exception day: open 09:00-16:00.
    eve = dt.datetime(2026, 12, 24, 10, 0, tzinfo=PARIS).astimezone(dt.UTC)
    desk.tap(session, a, eve)
    assert desk.auto_check_out(session, eve + dt.timedelta(hours=5, minutes=59)) == 0
    assert desk.auto_check_out(session, eve + dt.timedelta(hours=6)) == 1
    assert session.scalars(select(Visit)).one().checked_out_at == dt.datetime(
        2026, 12, 24, 16, 0, tzinfo=PARIS
    )
    # A resident checking in at night (after closing, before a holiday and a Sunday)
    # stays in until the next closing time: Saturday 26th, 17:00.
    night = dt.datetime(2026, 12, 24, 23, 30, tzinfo=PARIS).astimezone(dt.UTC)
    desk.tap(session, b, night)
    assert desk.auto_check_out(session, night + dt.timedelta(hours=12)) == 0  # Christmas
    saturday = dt.datetime(2026, 12, 26, 17, 0, tzinfo=PARIS).astimezone(dt.UTC)
    assert desk.auto_check_out(session, saturday - dt.timedelta(seconds=1)) == 0
    assert desk.auto_check_out(session, saturday + dt.timedelta(days=2)) == 1  # kiosk was off
    late = session.scalars(select(Visit).where(Visit.checked_in_at == night)).one()
    assert late.checked_out_at == saturday and late.checkout_reason == CLOSING


def test_tallies_and_hours_today(session, config, desk) -> None:
    a = member(session, config, "04000001", until=FAR, name="Alice")
    r = desk.tap(session, a, NOW)
    assert r.visit_id is not None
    desk.choose_purpose(session, r.visit_id, "fablab")
    desk.sign_up_visitor(session, "Eve", commune="62765", purpose="fablab", consent=True, now=NOW)
    desk.sign_up_visitor(
        session,
        "Fay",
        commune="62765",
        purpose="event",
        consent=True,
        now=NOW - dt.timedelta(days=1),
    )  # not today
    tallies = tallies_today(session, "saint-omer-gare", "Europe/Paris", NOW)
    assert tallies.entries == 2 and tallies.visitors == 1
    assert tallies.by_purpose == {"fablab": 2} and tallies.by_space == {"fablab": 2}
    hours = hours_today(desk.schedule, NOW)
    assert hours.text() == "09:00–18:00" and hours.open_now
    christmas = dt.datetime(2026, 12, 25, 10, tzinfo=PARIS)
    closed = hours_today(desk.schedule, christmas)  # a computed public holiday
    assert closed.ranges == () and closed.label == "Noël" and not closed.open_now
    eve = hours_today(desk.schedule, dt.datetime(2026, 12, 24, 17, tzinfo=PARIS))
    assert eve.text() == "09:00–16:00" and eve.label == "Veille de Noël" and not eve.open_now


def test_communes_list() -> None:
    communes = load_communes()
    assert len(communes) == 53
    assert "Saint-Omer" in {c.name for c in communes}
    assert all(len(c.insee) == 5 for c in communes)


def test_calendar_feed_parsing() -> None:
    feed = "\r\n".join(
        [
            "BEGIN:VCALENDAR",
            "BEGIN:VEVENT",
            "DTSTART;TZID=Europe/Paris:20261124T140000",
            "DTEND;TZID=Europe/Paris:20261124T160000",
            "SUMMARY:Atelier impression 3D\\, débutants",
            "LOCATION:Fablab",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART:20261124T170000Z",
            "SUMMARY:Café ",
            " numérique",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART;VALUE=DATE:20261125",
            "SUMMARY:Demain",
            "END:VEVENT",
            "BEGIN:VEVENT",
            "DTSTART:garbage",
            "SUMMARY:Broken",
            "END:VEVENT",
            "END:VCALENDAR",
        ]
    )
    events = events_on(feed, dt.date(2026, 11, 24), "Europe/Paris")
    assert [e.summary for e in events] == ["Atelier impression 3D, débutants", "Café numérique"]
    assert events[0].start.astimezone(PARIS).hour == 14 and events[0].location == "Fablab"
