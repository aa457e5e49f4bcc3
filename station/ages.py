"""Age bands: what the figures say of a person's age, from a birth year they chose to give.

Only a birth year is ever asked (never a date: data minimisation), and only where the
site's configuration says so (`[signup] ask_birth_year`). The band is that of the
visit's year, so a person moves from one band to the next as the years go by; a
visit keeps its band (`Visit.age_band`) as it keeps its commune, for the tallies that
outlive the person. The bands are those of French public reporting on digital
inclusion.
"""

from __future__ import annotations

import datetime as dt
import enum

FIRST_BIRTH_YEAR = 1900  # an older one is a typing mistake, not a visitor


class AgeBand(enum.StrEnum):
    UNDER_12 = "-12"
    FROM_12_TO_17 = "12-17"
    FROM_18_TO_34 = "18-34"
    FROM_35_TO_59 = "35-59"
    FROM_60 = "60+"
    NOT_GIVEN = ""


# The first age of each band, youngest last: the first whose floor an age reaches.
_FLOORS = (
    (60, AgeBand.FROM_60),
    (35, AgeBand.FROM_35_TO_59),
    (18, AgeBand.FROM_18_TO_34),
    (12, AgeBand.FROM_12_TO_17),
)


def age_band(birth_year: int | None, day: dt.date) -> AgeBand:
    """The band of someone born in `birth_year` on `day`. Without the birthday, the age
    is the one reached during the year (`day.year - birth_year`): a person born in 2008
    counts as 18 from the first of January 2026."""
    if birth_year is None:
        return AgeBand.NOT_GIVEN
    age = day.year - birth_year
    return next((band for floor, band in _FLOORS if age >= floor), AgeBand.UNDER_12)


def birth_year_problem(birth_year: int | None, today: dt.date) -> str | None:
    """Why `birth_year` is refused (None: accepted, or not given)."""
    if birth_year is None or FIRST_BIRTH_YEAR <= birth_year <= today.year:
        return None
    return f"a birth year from {FIRST_BIRTH_YEAR} to {today.year}, got {birth_year}"


def parse_birth_year(text: str) -> int | None:
    """A birth year typed on a form: None when left empty; `ValueError` if not a number."""
    text = text.strip()
    return int(text) if text else None
