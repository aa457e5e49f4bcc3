"""What importing a sheet would do, before anything is written: every row new,
already there (nothing changes for it), or a problem row, each problem named.

The preview's `digest` binds the file (its sha256), the mapping and every row's
outcome: a confirmation carries the digest it was shown, and the import runs only if
the preview made again at that moment has the same one (a mapping changed in the form,
or a registry changed meanwhile, is refused rather than imported unseen).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from station.db import Training
from station.db.live import live
from station.errors import InvalidInput
from station.importer import existing
from station.importer.mapping import (
    ColumnMap,
    Target,
    encode_mapping,
    guess_mapping,
    mapping_problem,
)
from station.importer.reading import Sheet, read_sheet
from station.importer.rows import Person, RowContext, RowNote, RowProblem, is_blank, read_row
from station.importer.values import ImportRule


@dataclass
class Preview:
    sha256: str
    sheet: Sheet
    mapping: ColumnMap
    trainings: dict[str, str]  # the catalogue, {code: French name}
    mapping_problem: str | None = None
    new: list[Person] = field(default_factory=list)
    present: list[tuple[Person, uuid.UUID]] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    blank_rows: int = 0

    @property
    def problem_rows(self) -> list[int]:
        return sorted({p.row for p in self.problems})

    @property
    def notes(self) -> list[RowNote]:
        return sorted((n for p in self.new for n in p.notes), key=lambda n: n.row)

    @property
    def digest(self) -> str:
        outcome = (
            f"{self.sha256}\n{encode_mapping(self.mapping)}\n"
            f"new {','.join(str(p.row) for p in self.new)}\n"
            f"present {','.join(f'{p.row}:{m}' for p, m in self.present)}\n"
            f"problems {','.join(map(str, self.problem_rows))}\n"
        )
        return hashlib.sha256(outcome.encode()).hexdigest()


def preview(
    session: Session,
    data: bytes,
    mapping: ColumnMap | None,
    *,
    today: dt.date,
    badge_key: bytes,
    plans: Mapping[str, tuple[str, ...]] | None = None,
) -> Preview:
    """The preview of importing `data` with `mapping` (None: guessed from the header)."""
    sheet = read_sheet(data)
    catalogue = trainings(session)
    if mapping is not None and len(mapping) != len(sheet.headers):
        raise InvalidInput(
            f"the mapping names {len(mapping)} columns; the file has {len(sheet.headers)}"
        )
    chosen = mapping if mapping is not None else guess_mapping(sheet.headers, catalogue)
    problem = mapping_problem(chosen, catalogue)
    result = Preview(hashlib.sha256(data).hexdigest(), sheet, chosen, catalogue, problem)
    if result.mapping_problem is not None:
        return result
    context = RowContext(sheet, chosen, today, plans or {})
    people: list[Person] = []
    for index in range(len(sheet.rows)):
        if is_blank(sheet, index):
            result.blank_rows += 1
            continue
        person, problems = read_row(context, index)
        if problems:
            result.problems += problems
        else:
            people.append(person)
    people = _without_repeats(people, sheet, chosen, result)
    _sort_by_registry(session, people, badge_key, sheet, chosen, result)
    result.problems.sort(key=lambda p: p.row)
    return result


def trainings(session: Session) -> dict[str, str]:
    """The catalogue's live trainings, {code: French name}."""
    rows = session.execute(select(Training.code, Training.name_fr).where(live(Training)))
    return {code: name for code, name in rows}


def _column(sheet: Sheet, mapping: ColumnMap, target: Target) -> str:
    return sheet.headers[mapping.index(target)] if target in mapping else ""


def _without_repeats(
    people: list[Person], sheet: Sheet, mapping: ColumnMap, result: Preview
) -> list[Person]:
    """The people of rows not repeating an earlier row's email, badge, or (without
    email) names and commune; each repeat is a problem naming the earlier row."""
    emails: dict[str, int] = {}
    names: dict[tuple[str, str, str], int] = {}
    badges: dict[bytes, int] = {}
    kept: list[Person] = []
    for person in people:
        repeat = _repeat(person, emails, names, badges)
        if repeat is None:
            kept.append(person)
            continue
        rule, target, earlier = repeat
        value = _value(person, target)
        result.problems.append(
            RowProblem(
                person.row,
                _column(sheet, mapping, target),
                rule,
                f"{value!r} is already on row {earlier} of the file",
                value,
                str(earlier),
            )
        )
    return kept


def _repeat(
    person: Person,
    emails: dict[str, int],
    names: dict[tuple[str, str, str], int],
    badges: dict[bytes, int],
) -> tuple[ImportRule, Target, int] | None:
    if person.email is not None:
        key = person.email.casefold()
        if key in emails:
            return ImportRule.DUPLICATE_EMAIL, Target.EMAIL, emails[key]
    else:
        person_key = existing.person_key(person.first_name, person.last_name, person.home_commune)
        if person_key in names:
            return ImportRule.DUPLICATE_PERSON, Target.FIRST_NAME, names[person_key]
    if person.badge is not None and person.badge.value in badges:
        return ImportRule.DUPLICATE_BADGE, Target.BADGE, badges[person.badge.value]
    if person.email is not None:
        emails[person.email.casefold()] = person.row
    else:
        names[existing.person_key(person.first_name, person.last_name, person.home_commune)] = (
            person.row
        )
    if person.badge is not None:
        badges[person.badge.value] = person.row
    return None


def _value(person: Person, target: Target) -> str:
    if target is Target.EMAIL:
        return person.email or ""
    if target is Target.BADGE:
        return person.badge.hex if person.badge is not None else ""
    return person.display_name


def _sort_by_registry(
    session: Session,
    people: list[Person],
    badge_key: bytes,
    sheet: Sheet,
    mapping: ColumnMap,
    result: Preview,
) -> None:
    """Each person new or already there (by email, else names and commune); a badge
    held by someone else in the registry is a problem."""
    by_email = existing.email_holders(session, [p.email for p in people if p.email])
    by_name = existing.namesakes(
        session, [(p.first_name, p.last_name, p.home_commune) for p in people if not p.email]
    )
    hashes = {p.row: p.badge.keyed_hash(badge_key) for p in people if p.badge is not None}
    held = existing.badge_holders(session, hashes.values())
    for person in people:
        if person.email is not None:
            member_id = by_email.get(person.email.casefold())
        else:
            key = existing.person_key(person.first_name, person.last_name, person.home_commune)
            member_id = by_name.get(key)
        holder = held.get(hashes.get(person.row, ""))
        if holder is not None and holder != member_id:
            assert person.badge is not None
            result.problems.append(
                RowProblem(
                    person.row,
                    _column(sheet, mapping, Target.BADGE),
                    ImportRule.BADGE_HELD,
                    f"badge {person.badge.hex} is already someone else's",
                    person.badge.hex,
                )
            )
        elif member_id is not None:
            result.present.append((person, member_id))
        else:
            result.new.append(person)
