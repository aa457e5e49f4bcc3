"""A cell's text read as a value: a day, a yes or no, a commune of the territory, a plan.

Each reader returns the value, or raises `CellRefused` naming the rule; a value read
in a way the person should see ("St Omer" read as Saint-Omer, a commune outside the
territory) comes with a note.
"""

from __future__ import annotations

import datetime as dt
import difflib
import enum
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Generic, TypeVar

from station.communes import OTHER_COMMUNE, load_communes
from station.fields import Rule


class ImportRule(enum.StrEnum):
    """The importer's rules, beside station.fields.Rule (a person's fields, a commune,
    a plan, a birth year)."""

    DATE = "date"
    YES_NO = "yes_no"
    DUPLICATE_EMAIL = "duplicate_email"  # the same email on an earlier row of the file
    DUPLICATE_PERSON = "duplicate_person"  # same names and commune, no email, earlier row
    DUPLICATE_BADGE = "duplicate_badge"  # the same badge on an earlier row of the file
    BADGE_HELD = "badge_held"  # the badge is someone else's in the registry
    NO_CONSENT = "no_consent"  # the sheet says the person did not consent: never imported


class NoteKind(enum.StrEnum):
    """How a value was read that the person importing should see."""

    OUTSIDE = "outside"  # a commune outside the territory: counted as OTHER_COMMUNE
    READ_AS = "read_as"  # a commune's name read as the official one (hint)
    DAY_FORMAT = "day_format"  # a day in another format, read as the hint (DD/MM/YYYY)


class CellRefused(ValueError):
    """`hint`: what the message needs beside the value (an earlier row, a commune)."""

    def __init__(self, rule: Rule | ImportRule, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.rule = rule
        self.hint = hint


@dataclass(frozen=True)
class Note:
    kind: NoteKind
    hint: str
    message: str


T = TypeVar("T")


@dataclass(frozen=True)
class Read(Generic[T]):
    value: T
    note: Note | None = None


_DAY_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y")
# The sheets' usual form read without strptime (a fifth of a 1,000 rows' preview).
_USUAL_DAY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_YES = frozenset({"oui", "o", "yes", "y", "x", "1", "true", "vrai", "ok", "✓", "✔"})
_NO = frozenset({"non", "n", "no", "0", "false", "faux", "-"})
_OTHER = frozenset({"autre", "autres", "horsterritoire", "exterieur", "other", "elsewhere"})


def read_day(text: str) -> Read[dt.date | None]:
    """A day as a French sheet writes it (DD/MM/YYYY); ISO YYYY-MM-DD is read with a note."""
    text = text.split(" ")[0].strip()  # "25/06/2025 00:00" from a date-time cell
    if not text:
        return Read(None)
    usual = _USUAL_DAY.fullmatch(text)
    if usual is not None:
        day_number, month, year = (int(part) for part in usual.groups())
        try:
            return Read(dt.date(year, month, day_number))
        except ValueError:
            pass  # 31/02/2025: refused below with the same words as any other
    for pattern in _DAY_FORMATS:
        try:
            return Read(dt.datetime.strptime(text, pattern).date())
        except ValueError:
            continue
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            pass
        else:
            shown = f"{day:%d/%m/%Y}"
            return Read(day, Note(NoteKind.DAY_FORMAT, shown, f"{text} read as {shown}"))
    raise CellRefused(ImportRule.DATE, f"{text!r} is not a day (expected DD/MM/YYYY)")


def read_yes_no(text: str) -> bool:
    key = text.strip().casefold()
    if not key or key in _NO:
        return False
    if key in _YES:
        return True
    raise CellRefused(ImportRule.YES_NO, f"{text!r} is neither yes nor no (oui/non)")


def read_birth_year(text: str, today: dt.date) -> int | None:
    from station.ages import birth_year_problem

    text = text.strip()
    if not text:
        return None
    if not re.fullmatch(r"\d{4}", text):
        raise CellRefused(Rule.BIRTH_YEAR, f"{text!r} is not a year (expected YYYY)")
    problem = birth_year_problem(int(text), today)
    if problem is not None:
        raise CellRefused(Rule.BIRTH_YEAR, f"expected {problem}")
    return int(text)


def read_commune(text: str) -> Read[str | None]:
    """The INSEE code of a commune given by name or code: a commune of the territory,
    OTHER_COMMUNE for any other (with a note), refused when the name is close to a
    commune of the territory without being it (a typing mistake would count the
    person as from elsewhere)."""
    text = " ".join(text.split())
    if not text:
        return Read(None)
    codes = _codes()
    code = text.upper()
    if re.fullmatch(r"\d{5}|2[AB]\d{3}", code):
        if code in codes or code == OTHER_COMMUNE:
            return Read(code)
        return Read(OTHER_COMMUNE, _outside(code))
    key = commune_key(text)
    if key.replace(" ", "") in _OTHER:
        return Read(OTHER_COMMUNE)
    names = _names()
    if key in names:
        insee, official = names[key]
        same = unicodedata.normalize("NFC", text).casefold() == official.casefold()
        note = Note(NoteKind.READ_AS, official, f"{text!r} read as {official}")
        return Read(insee, None if same else note)
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.85)
    if close:
        official = names[close[0]][1]
        raise CellRefused(
            Rule.UNKNOWN_COMMUNE,
            f"{text!r} is no commune of the territory; is it {official}?",
            official,
        )
    return Read(OTHER_COMMUNE, _outside(text))


def commune_key(name: str) -> str:
    """A commune's name compared loosely: no accents, case or punctuation, and the
    abbreviations St, Ste written out ("St Omer" is "saint omer")."""
    plain = unicodedata.normalize("NFKD", name.replace("œ", "oe").replace("Œ", "OE"))
    text = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    spelled = {"st": "saint", "ste": "sainte"}
    return " ".join(spelled.get(word, word) for word in words)


def read_plan(text: str, plans: Mapping[str, tuple[str, ...]]) -> str | None:
    """The plan code named by `text`: a declared plan by its code or one of its names;
    without declared plans, the text itself made a code ("Résident coworking" ->
    "resident-coworking")."""
    text = " ".join(text.split())
    if not text:
        return None
    if not plans:
        return _slug(text)
    wanted = _slug(text)
    for code, names in plans.items():
        if wanted == _slug(code) or any(wanted == _slug(n) for n in names):
            return code
    known = ", ".join(plans)
    raise CellRefused(Rule.UNKNOWN_PLAN, f"{text!r} is no plan; expected one of {known}", known)


def _outside(text: str) -> Note:
    return Note(NoteKind.OUTSIDE, "", f"{text}: outside the territory")


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text)
    letters = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return re.sub(r"[^a-z0-9]+", "-", letters).strip("-")[:64]


@cache
def _names() -> dict[str, tuple[str, str]]:
    return {commune_key(c.name): (c.insee, c.name) for c in load_communes()}


@cache
def _codes() -> frozenset[str]:
    return frozenset(c.insee for c in load_communes())
