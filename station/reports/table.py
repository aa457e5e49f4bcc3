"""The one shape every report produces and every format reads.

A report is a table of figures: one row per combination of dimension values (the
`--by` names), one column per measure, the whole range's figures beside them, and one
sentence saying how the distinct counts were obtained. Keys are machine values, the same
at every site and in every language; `station.reports.labels` turns them into names.

Keys, per dimension: day `2026-10-25`, week `2026-W43`, month `2026-10`, quarter
`2026-Q4`, year `2026`, hour `00`..`23` (local time), weekday `1`..`7` (ISO: Monday is
1), commune an INSEE code, `OTHER_COMMUNE` (outside the territory) or `UNKNOWN`; the
others the codes of the configuration (space, purpose, plan, training, the machine's
resource), of the data model (kind: member, visitor, staff), or the site's id (site).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

# The names of the figures, shared with the domain that keeps them (station.people),
# and re-exported: every report module reads them from here.
from station.figures import UNKNOWN, Dimension, Report

__all__ = [
    "ANY",
    "COMPANY_MEASURES",
    "ENTRY_MEASURES",
    "PEOPLE_MEASURES",
    "PERIODS",
    "SKILL_MEASURES",
    "TOTAL",
    "UNKNOWN",
    "USAGE_MEASURES",
    "Cell",
    "Dimension",
    "Key",
    "Measure",
    "Method",
    "Report",
    "ReportTable",
    "Row",
    "Secrecy",
    "Value",
]

Value = int | float | None
Key = tuple[str, ...]
Row = tuple[Key, Mapping[str, Value]]  # Mapping: a dict of ints is one too

ANY = "*"  # in a suppressed cell's key: the margin over that dimension
TOTAL: Key = ()  # the suppressed cell's key for the whole range's figures


PERIODS = frozenset(
    {Dimension.DAY, Dimension.WEEK, Dimension.MONTH, Dimension.QUARTER, Dimension.YEAR}
)


class Measure(enum.StrEnum):
    ENTRIES = "entries"  # check-ins
    PEOPLE = "people"  # distinct people who checked in
    FIRST_TIME = "first_time"  # people whose first check-in ever falls in the cell
    MEMBERS = "members"
    VISITORS = "visitors"
    MEDIAN_MINUTES = "median_minutes"  # median visit duration
    SESSIONS = "sessions"  # machine sessions
    HOURS = "hours"  # machine hours
    USERS = "users"  # distinct people who used a machine
    TRAININGS = "trainings"  # trainings granted
    ACCOMPANIMENTS = "accompaniments"  # check-ins for a digital-help purpose
    HELPED = "helped"  # distinct people accompanied
    SKILLS = "skills"  # skills recorded from the catalogue
    COMPANIES = "companies"  # companies created


ENTRY_MEASURES = (
    Measure.ENTRIES,
    Measure.PEOPLE,
    Measure.FIRST_TIME,
    Measure.MEMBERS,
    Measure.VISITORS,
    Measure.MEDIAN_MINUTES,
)
USAGE_MEASURES = (Measure.SESSIONS, Measure.HOURS, Measure.USERS)
SKILL_MEASURES = (Measure.TRAININGS, Measure.ACCOMPANIMENTS, Measure.HELPED, Measure.SKILLS)
COMPANY_MEASURES = (Measure.COMPANIES,)

# Counts of people (a check-in or a machine session is a person's): the cells that
# `--publish` hides when small. The others describe those people and are hidden with them.
PEOPLE_MEASURES = frozenset(
    {
        Measure.ENTRIES,
        Measure.PEOPLE,
        Measure.FIRST_TIME,
        Measure.MEMBERS,
        Measure.VISITORS,
        Measure.USERS,
        Measure.SESSIONS,
        # Each names a person's training, visit, skill or company.
        *SKILL_MEASURES,
        *COMPANY_MEASURES,
    }
)


class Method(enum.StrEnum):
    """How a report's distinct counts were obtained (translated by `station.reports.words`)."""

    RAW = "raw"  # counted from the raw rows of the range
    UNAVAILABLE = "unavailable"  # the range starts before the raw rows kept: no distinct counts
    FROZEN = "frozen"  # from the figures frozen when each period closed (`station.people`)
    SKILLS_RAW = "skills_raw"  # skills: records kept, people helped from the raw visits
    SKILLS_UNAVAILABLE = "skills_unavailable"  # the same, people helped unavailable
    RECORDS = "records"  # counted from rows kept for good (companies)


class Secrecy(enum.StrEnum):
    """Why `--publish` hid a cell."""

    SMALL = "small"  # fewer than 5 people: shown `< 5`
    COMPLEMENT = "complement"  # hidden so that a small cell cannot be found by subtraction


Cell = tuple[Key, str]  # (row key, TOTAL or a margin with ANY; measure)


@dataclass(frozen=True)
class ReportTable:
    name: str  # the report: a `Report`
    dimensions: tuple[str, ...]  # the --by names, in order
    measures: tuple[str, ...]  # the columns, `Measure` names
    rows: tuple[Row, ...]  # (key per dimension, measure -> value)
    totals: Mapping[str, Value]  # the whole range's measures
    method: str  # a `Method`, or one sentence shown as it is
    site: str | None = None  # None: every site
    first_day: dt.date | None = None  # the range, both days included
    last_day: dt.date | None = None
    # Set by `station.reports.publish`: the hidden cells (their values are None).
    suppressed: Mapping[Cell, Secrecy] = field(default_factory=dict)

    def secrecy(self, key: Key, measure: str) -> Secrecy | None:
        return self.suppressed.get((key, measure))

    def with_measures(self, measures: tuple[str, ...]) -> ReportTable:
        """The same figures, only these columns (in this order)."""
        rows = tuple((key, {m: values.get(m) for m in measures}) for key, values in self.rows)
        totals = {m: self.totals.get(m) for m in measures}
        kept = {cell: why for cell, why in self.suppressed.items() if cell[1] in measures}
        return replace(self, measures=measures, rows=rows, totals=totals, suppressed=kept)
