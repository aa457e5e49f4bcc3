"""station.person_record: a person's identity created or corrected, every refusal of a
form at once (field and rule named), the email rule, and what sync needs marked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session

from station import plans, registry
from station.db import MemberKind, make_engine
from station.db.live import live_rows
from station.fields import Field, FieldRefused, Rule
from station.person_record import (
    Identity,
    RecordRefused,
    checked_identity,
    create_member,
    update_member,
)

TODAY = dt.date(2026, 3, 10)


@pytest.fixture
def db(site_db: str) -> Iterator[Session]:
    engine = make_engine(site_db)
    with Session(engine) as session, session.begin():
        yield session
    engine.dispose()


def test_every_refusal_at_once(db: Session) -> None:
    registry.add_member(db, "Lucas", "Dubois", email="lucas@example.fr", today=TODAY)
    wrong = Identity("\u202eEve", "x" * 101, "LUCAS@example.fr", "99999", 1850)
    with pytest.raises(RecordRefused) as refused:
        checked_identity(db, wrong, today=TODAY)
    rules = {(r.field, r.rule) for r in refused.value.refusals}
    assert rules == {
        (Field.FIRST_NAME, Rule.CONTROL_CHARACTER),
        (Field.LAST_NAME, Rule.TOO_LONG),
        (Field.EMAIL, Rule.EMAIL_TAKEN),
        (Field.HOME_COMMUNE, Rule.UNKNOWN_COMMUNE),
        (Field.BIRTH_YEAR, Rule.BIRTH_YEAR),
    }
    assert "Lucas Dubois" in str(refused.value)


def test_the_callers_own_refusal_is_said_with_the_others(db: Session) -> None:
    own = FieldRefused(Field.BIRTH_YEAR, Rule.BIRTH_YEAR, "not a year: 'abc'")
    with pytest.raises(RecordRefused) as refused:
        checked_identity(db, Identity(""), today=TODAY, refused=[own])
    assert [r.field for r in refused.value.refusals] == [Field.BIRTH_YEAR, Field.FIRST_NAME]


def test_created_with_a_membership_of_the_plans_length(db: Session) -> None:
    member = create_member(
        db,
        Identity(" Cafe\u0301 ", "Martin", "c@example.fr", "62765", 1990),
        kind=MemberKind.VISITOR,
        consent_at=None,
        today=TODAY,
        plan="visitor",
        until=None,
        default_days=lambda code: 1 if code == "visitor" else 365,
        default_plan="member",
        created_for="gare",
    )
    assert member.first_name == "Café" and member.origin_site == "gare" and not member.dirty
    (membership,) = live_rows(member.memberships)
    assert (membership.plan, membership.valid_from, membership.valid_until) == (
        "visitor",
        TODAY,
        TODAY,
    )


def test_a_correction_returns_what_changed_and_marks_a_sites_row(db: Session) -> None:
    member = registry.add_member(db, "Camille", "Martin", email="c@example.fr", today=TODAY)
    same = Identity("Camille", "Martin", "C@example.fr".lower())
    assert update_member(db, member, same, today=TODAY) == {}  # its own email is no conflict
    changes = update_member(
        db,
        member,
        Identity("Camille", "Martin", "camille@example.fr", "62014", 1990),
        today=TODAY,
        kind=MemberKind.STAFF,
        origin_site="gare",
    )
    assert changes == {
        "email": ("c@example.fr", "camille@example.fr"),
        "home_commune": (None, "62014"),
        "birth_year": (None, 1990),
        "kind": ("member", "staff"),
    }
    assert member.dirty  # at a site: the correction goes up with the next sync


def test_the_plan_rules_shared_with_the_command_line() -> None:
    assert plans.membership_plan(None, None) == "standard"
    assert plans.plan_days(None, "standard") == plans.UNDECLARED_DAYS
