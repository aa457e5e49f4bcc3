"""The field rules every writer of a person's record goes through (station.fields)."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy.orm import Session

from station import registry
from station.credential import Credential
from station.fields import Field, FieldRefused, Rule, member_problems, parse_uid


def test_a_first_name_of_10000_characters_is_refused_naming_the_field(
    site_session: Session,
) -> None:
    with pytest.raises(FieldRefused) as refused:
        registry.add_member(site_session, "A" * 10_000)
    assert (refused.value.field, refused.value.rule) == (Field.FIRST_NAME, Rule.TOO_LONG)
    assert "10000 characters; at most 100" in str(refused.value)


@pytest.mark.parametrize("hidden", ["\u202e", "\u2066", "\x00", "\n", "\u2028", "\u200f"])
def test_a_name_with_a_control_or_bidi_character_is_refused(
    site_session: Session, hidden: str
) -> None:
    with pytest.raises(FieldRefused) as refused:
        registry.add_member(site_session, "Camille", f"Mar{hidden}tin")
    assert (refused.value.field, refused.value.rule) == (Field.LAST_NAME, Rule.CONTROL_CHARACTER)
    assert f"U+{ord(hidden):04X}" in str(refused.value)


def test_names_are_kept_in_nfc(site_session: Session) -> None:
    decomposed = unicodedata.normalize("NFD", "Élodie")
    member = registry.add_member(site_session, decomposed, " Lefèvre ")
    assert member.first_name == "Élodie" and len(member.first_name) == 6
    assert member.last_name == "Lefèvre"


def test_an_email_in_the_wrong_format_is_refused(site_session: Session) -> None:
    with pytest.raises(FieldRefused) as refused:
        registry.add_member(site_session, "Camille", email="camille at example.fr")
    assert refused.value.rule is Rule.EMAIL_FORMAT


@pytest.mark.parametrize("uid", ["04A1", "04A1B2", "04A1B2C3D4", "04" * 11])
def test_a_badge_uid_other_than_4_7_or_10_bytes_is_refused(site_session: Session, uid: str) -> None:
    member = registry.add_member(site_session, "Camille")
    with pytest.raises(FieldRefused) as refused:
        registry.enroll_badge(site_session, member, Credential.uid(uid), b"key")
    assert refused.value.rule is Rule.UID_LENGTH
    assert "4, 7 or 10 bytes" in str(refused.value)


@pytest.mark.parametrize("uid", ["04A1B2C3", "04:A1:B2:C3:D4:E5:F6", "04A1B2C3D4E5F6071829"])
def test_uids_of_4_7_and_10_bytes_are_enrolled(site_session: Session, uid: str) -> None:
    member = registry.add_member(site_session, "Camille")
    badge = registry.enroll_badge(site_session, member, parse_uid(uid), b"key")
    assert badge.member is member


def test_a_uid_that_is_not_hexadecimal_is_refused() -> None:
    with pytest.raises(FieldRefused) as refused:
        parse_uid("04ZZ1122")
    assert refused.value.rule is Rule.NOT_HEX


def test_member_problems_names_every_problem_at_once() -> None:
    problems = member_problems("", "B" * 101, "nope")
    assert [(p.field, p.rule) for p in problems] == [
        (Field.FIRST_NAME, Rule.REQUIRED),
        (Field.LAST_NAME, Rule.TOO_LONG),
        (Field.EMAIL, Rule.EMAIL_FORMAT),
    ]
    assert member_problems("Camille", "Martin", "camille@example.fr") == []
