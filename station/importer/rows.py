"""A sheet's rows read as people: each row's values checked, or every problem named.

A row is read whole: every cell that breaks a rule is one problem (row, column, rule),
so that the preview names them all at once. The rules of a person's fields are
station.fields' (the same as the command line's, the kiosk's and the console's);
the importer adds its own for what a sheet holds beside (days, yes/no, plans).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from station.credential import Credential
from station.db import MemberKind
from station.fields import Field, FieldRefused, Rule, clean_email, clean_text, parse_uid
from station.importer.mapping import ColumnMap, Granted, Target
from station.importer.reading import Sheet
from station.importer.values import (
    CellRefused,
    ImportRule,
    Note,
    read_birth_year,
    read_commune,
    read_day,
    read_plan,
    read_yes_no,
)

VISITOR_PLANS = frozenset({"visiteur", "visiteuse", "visitor", "visite"})  # as plan slugs


@dataclass(frozen=True)
class RowProblem:
    row: int  # the spreadsheet's row number (the header is row 1)
    column: str  # the column's name in the file
    rule: Rule | ImportRule
    message: str
    value: str
    hint: str = ""  # an earlier row, the commune meant, the plans known


@dataclass(frozen=True)
class RowNote:
    row: int
    column: str
    note: Note
    value: str


@dataclass
class Person:
    """A row's values, each checked: what the import would create."""

    row: int
    first_name: str = ""
    last_name: str = ""
    email: str | None = None
    home_commune: str | None = None
    joined: dt.date | None = None
    plan: str | None = None
    kind: MemberKind = MemberKind.MEMBER
    consent: bool = False
    birth_year: int | None = None
    badge: Credential | None = None
    trainings: list[str] = field(default_factory=list)  # codes held
    notes: list[RowNote] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass(frozen=True)
class RowContext:
    sheet: Sheet
    mapping: ColumnMap
    today: dt.date
    plans: Mapping[str, tuple[str, ...]]


def read_row(context: RowContext, index: int) -> tuple[Person, list[RowProblem]]:
    """Row `index` of the sheet (spreadsheet row `index + 2`) as a person, and its problems."""
    sheet, row = context.sheet, context.sheet.rows[index]
    person = Person(row=index + 2)
    problems: list[RowProblem] = []
    for column, target in enumerate(context.mapping):
        if target is Target.IGNORE:
            continue
        text = sheet.cell(row, column)
        name = sheet.headers[column]
        try:
            if isinstance(target, Granted):
                note = _training(person, text, target.code)
            else:
                note = _READERS[target](person, text, context)
        except FieldRefused as refused:
            problems.append(RowProblem(person.row, name, refused.rule, refused.detail, text))
        except CellRefused as refused:
            problems.append(
                RowProblem(person.row, name, refused.rule, str(refused), text, refused.hint)
            )
        else:
            if note is not None:
                person.notes.append(RowNote(person.row, name, note, text))
    return person, problems


def is_blank(sheet: Sheet, index: int) -> bool:
    return not any(cell.strip() for cell in sheet.rows[index])


def _first_name(person: Person, text: str, context: RowContext) -> Note | None:
    person.first_name = clean_text(Field.FIRST_NAME, text, required=True)
    return None


def _last_name(person: Person, text: str, context: RowContext) -> Note | None:
    # Optional at the kiosk; a sheet with a column of names and an empty cell is a gap.
    person.last_name = clean_text(Field.LAST_NAME, text, required=True)
    return None


def _email(person: Person, text: str, context: RowContext) -> Note | None:
    person.email = clean_email(text)
    return None


def _commune(person: Person, text: str, context: RowContext) -> Note | None:
    read = read_commune(text)
    person.home_commune = read.value
    return read.note


def _joined(person: Person, text: str, context: RowContext) -> Note | None:
    read = read_day(text)
    person.joined = read.value
    return read.note


def _plan(person: Person, text: str, context: RowContext) -> Note | None:
    if read_plan(text, {}) in VISITOR_PLANS and not context.plans:
        person.kind = MemberKind.VISITOR  # a visitor of the sheet: no membership
        return None
    person.plan = read_plan(text, context.plans)
    return None


def _consent(person: Person, text: str, context: RowContext) -> Note | None:
    # Someone who did not agree to their data being kept is not recorded at all: the
    # row is a problem, not a person without a consent date.
    if not read_yes_no(text):
        raise CellRefused(ImportRule.NO_CONSENT, "the sheet says this person did not consent")
    person.consent = True
    return None


def _birth_year(person: Person, text: str, context: RowContext) -> Note | None:
    person.birth_year = read_birth_year(text, context.today)
    return None


def _training(person: Person, text: str, code: str) -> Note | None:
    if read_yes_no(text):
        person.trainings.append(code)
    return None


def _badge(person: Person, text: str, context: RowContext) -> Note | None:
    person.badge = parse_uid(text) if text else None
    return None


_READERS: Mapping[Target, Callable[[Person, str, RowContext], Note | None]] = {
    Target.FIRST_NAME: _first_name,
    Target.LAST_NAME: _last_name,
    Target.EMAIL: _email,
    Target.COMMUNE: _commune,
    Target.JOINED: _joined,
    Target.PLAN: _plan,
    Target.CONSENT: _consent,
    Target.BIRTH_YEAR: _birth_year,
    Target.BADGE: _badge,
}
