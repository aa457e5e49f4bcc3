"""One set of rules for what a person's record may hold, whoever writes it.

The command line, the kiosk's sign-up, the console and the CSV importer all go through
`station.registry`, which calls these; the importer's preview calls `member_problems`
to name every problem of a row at once. The lengths are those of the columns
(`station.db.models`), which every database accepts, so that a record accepted at a
site is never refused at central's upload. Text is kept in Unicode NFC, so that
"é" typed two ways is one name to search and to deduplicate; control characters and
bidirectional overrides are refused, since an U+202E in a name turns every screen
that shows it around.
"""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from station.credential import Credential, CredentialKind
from station.errors import InvalidInput


class Field(enum.StrEnum):
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    EMAIL = "email"
    HOME_COMMUNE = "home_commune"
    BIRTH_YEAR = "birth_year"
    BADGE = "badge"
    BADGE_LABEL = "badge_label"
    PLAN = "plan"
    GRANTED_BY = "granted_by"
    COMPANY_NAME = "company_name"  # a company a member created (station.outcomes)


class Rule(enum.StrEnum):
    REQUIRED = "required"
    TOO_LONG = "too_long"
    CONTROL_CHARACTER = "control_character"
    EMAIL_FORMAT = "email_format"
    UNKNOWN_COMMUNE = "unknown_commune"
    BIRTH_YEAR = "birth_year"
    UID_LENGTH = "uid_length"
    NOT_HEX = "not_hex"
    EMAIL_TAKEN = "email_taken"  # another live person has it (station.person_record)
    UNKNOWN_PLAN = "unknown_plan"  # not one of [plans] (station.plans.membership_plan)


# The column lengths of station.db.models (members, badges, member_trainings).
MAX_LENGTH: Mapping[Field, int] = {
    Field.FIRST_NAME: 100,
    Field.LAST_NAME: 100,
    Field.EMAIL: 254,
    Field.BADGE_LABEL: 100,
    Field.PLAN: 64,
    Field.GRANTED_BY: 100,
    Field.COMPANY_NAME: 200,
}
# ISO 14443-3 UIDs are single (4 bytes), double (7) or triple (10) size.
UID_BYTES = (4, 7, 10)
SECURE_BYTES = (1, 64)  # a secure credential's value: Credential's own bounds
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# Cc (controls), Cf bidirectional embeddings, overrides and isolates, and the line and
# paragraph separators: nothing a name or an email needs, everything that can hide or
# reorder text on a screen.
# One class searched at C speed: a character-by-character test was a quarter of an
# import preview's 1,000 rows.
_FORBIDDEN = re.compile(
    "[\x00-\x1f\x7f-\x9f"  # Cc, all of it
    "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u2028\u2029]"
)


class FieldRefused(InvalidInput):
    """A value breaks a rule; `field` and `rule` say which, the message says it in words."""

    def __init__(self, field: Field, rule: Rule, message: str) -> None:
        super().__init__(f"{field.value}: {message}")
        self.field = field
        self.rule = rule
        self.detail = message


@dataclass(frozen=True)
class Problem:
    field: Field
    rule: Rule
    message: str


def clean_text(field: Field, value: str, *, required: bool = False) -> str:
    """`value` stripped and in NFC; refused if empty when `required`, too long for its
    column, or holding a control or bidirectional-override character."""
    text = unicodedata.normalize("NFC", value).strip()
    if required and not text:
        raise FieldRefused(field, Rule.REQUIRED, "required")
    bad = _FORBIDDEN.search(text)
    if bad is not None:
        raise FieldRefused(
            field,
            Rule.CONTROL_CHARACTER,
            f"holds the invisible character U+{ord(bad.group()):04X}, which is not allowed",
        )
    limit = MAX_LENGTH.get(field)
    if limit is not None and len(text) > limit:
        raise FieldRefused(
            field, Rule.TOO_LONG, f"{len(text)} characters; at most {limit} are allowed"
        )
    return text


def clean_email(value: str | None) -> str | None:
    """An email address in NFC, or None for an empty one."""
    if value is None:
        return None
    text = clean_text(Field.EMAIL, value)
    if not text:
        return None
    if _EMAIL.fullmatch(text) is None:
        raise FieldRefused(Field.EMAIL, Rule.EMAIL_FORMAT, f"not an email address: {text!r}")
    return text


def check_credential(credential: Credential) -> Credential:
    """A badge UID must be 4, 7 or 10 bytes (ISO 14443); a secure credential has its own
    bounds, already checked by `Credential`."""
    if credential.kind is CredentialKind.UID and len(credential.value) not in UID_BYTES:
        raise FieldRefused(
            Field.BADGE,
            Rule.UID_LENGTH,
            f"a badge UID is 4, 7 or 10 bytes (ISO 14443); "
            f"{credential.hex} is {len(credential.value)}",
        )
    return credential


def parse_uid(text: str) -> Credential:
    """The UID credential typed as `text` (hex, with or without separators), checked."""
    try:
        credential = Credential.uid(text)
    except ValueError as exc:
        raise FieldRefused(Field.BADGE, Rule.NOT_HEX, str(exc)) from exc
    return check_credential(credential)


def member_problems(first_name: str, last_name: str, email: str | None) -> list[Problem]:
    """Every problem of a person's names and email at once (the importer's preview);
    the commune and birth year are checked by `station.registry`, with the territory."""
    problems: list[Problem] = []
    checks = (
        lambda: clean_text(Field.FIRST_NAME, first_name, required=True),
        lambda: clean_text(Field.LAST_NAME, last_name),
        lambda: clean_email(email),
    )
    for check in checks:
        try:
            check()
        except FieldRefused as refused:
            problems.append(Problem(refused.field, refused.rule, refused.detail))
    return problems
