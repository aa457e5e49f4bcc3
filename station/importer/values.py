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


class ImportRule(enum.StrEnum):
    """The importer's rules, beside station.fields.Rule (a row's field rules)."""

    DATE = "date"
    YES_NO = "yes_no"
    UNKNOWN_COMMUNE = "unknown_commune"
    UNKNOWN_PLAN = "unknown_plan"
    BIRTH_YEAR = "birth_year"
    DUPLICATE_EMAIL = "duplicate_email"  # the same email on an earlier row of the file
    DUPLICATE_PERSON = "duplicate_person"  # same names and commune, no email, earlier row
    DUPLICATE_BADGE = "duplicate_badge"  # the same badge on an earlier row of the file
    BADGE_HELD = "badge_held"  # the badge is someone else's in the registry


class CellRefused(ValueError):
    def __init__(self, rule: ImportRule, message: str) -> None:
        super().__init__(message)
        self.rule = rule


T = TypeVar("T")


@dataclass(frozen=True)
class Read(Generic[T]):
    value: T
    note: str = ""


_DAY_FORMATS = ("%d/%m/%Y", "%d/%m/%y", "%d-%m-%Y", "%d.%m.%Y")
_YES = frozenset({"oui", "o", "yes", "y", "x", "1", "true", "vrai", "ok", "✓", "✔"})
_NO = frozenset({"non", "n", "no", "0", "false", "faux", "-"})
_OTHER = frozenset({"autre", "autres", "horsterritoire", "exterieur", "other", "elsewhere"})


def read_day(text: str) -> Read[dt.date | None]:
    """A day as a French sheet writes it (DD/MM/YYYY); ISO YYYY-MM-DD is read with a note."""
    text = text.split(" ")[0].strip()  # "25/06/2025 00:00" from a date-time cell
    if not text:
        return Read(None)
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
            return Read(day, f"date written {text}, read as {day:%d/%m/%Y}")
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
        raise CellRefused(ImportRule.BIRTH_YEAR, f"{text!r} is not a year (expected YYYY)")
    problem = birth_year_problem(int(text), today)
    if problem is not None:
        raise CellRefused(ImportRule.BIRTH_YEAR, f"expected {problem}")
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
        return Read(OTHER_COMMUNE, f"{code}: outside the territory")
    key = commune_key(text)
    if key.replace(" ", "") in _OTHER:
        return Read(OTHER_COMMUNE)
    names = _names()
    if key in names:
        insee, official = names[key]
        same = unicodedata.normalize("NFC", text).casefold() == official.casefold()
        return Read(insee, "" if same else f"{text!r} read as {official}")
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.85)
    if close:
        official = names[close[0]][1]
        raise CellRefused(
            ImportRule.UNKNOWN_COMMUNE,
            f"{text!r} is no commune of the territory; is it {official}?",
        )
    return Read(OTHER_COMMUNE, f"{text}: outside the territory")


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
    raise CellRefused(
        ImportRule.UNKNOWN_PLAN, f"{text!r} is no plan; expected one of {', '.join(plans)}"
    )


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
