"""A report as the staff console asks for it: one of the four reports, a range, one or
two dimensions, every site or one, always published.

The console shows people the same figures as `station report ... --central --publish`
(the same tables, the same small-cell suppression: fewer than 5 people is `< 5`), so a
page, its CSV and its xlsx can be handed to a funder as they are. Nothing here knows of
the web: `checked` says what is wrong with a request (a `Problem`, put in words by the
console), `compute` reads the figures from a connection.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, func, select

from station.aggregates import people_since
from station.db import EntryTally, UsageTally
from station.reports.from_aggregates import (
    ENTRY_DIMENSIONS,
    USAGE_DIMENSIONS,
    entries_table,
    usage_table,
)
from station.reports.outcomes import (
    COMPANY_DIMENSIONS,
    SKILL_DIMENSIONS,
    SPLITS,
    companies_table,
    measures_for,
    skills_table,
)
from station.reports.publish import publish
from station.reports.table import PERIODS, Report, ReportTable

if TYPE_CHECKING:
    from station.config import StationConfig
    from station.reports.summary import SummaryTables

DIMENSIONS: dict[Report, tuple[str, ...]] = {
    Report.ENTRIES: ENTRY_DIMENSIONS,
    Report.USAGE: USAGE_DIMENSIONS,
    Report.SKILLS: SKILL_DIMENSIONS,
    Report.COMPANIES: COMPANY_DIMENSIONS,
}
MAX_DAYS = 366 * 10  # a range a page can show at once


@dataclass(frozen=True)
class Asked:
    report: Report
    first: dt.date
    last: dt.date
    dims: tuple[str, ...]
    site: str | None  # None: every site


class Problem(enum.StrEnum):
    """Why a request is refused (the console says it in words)."""

    NOT_A_DAY = "not_a_day"  # a date that is not YYYY-MM-DD
    BACKWARDS = "backwards"  # the first day after the last
    TOO_LONG = "too_long"  # more than MAX_DAYS
    NOT_BY = "not_by"  # a dimension this report has not
    TWICE = "twice"  # the same dimension twice
    TWO_PERIODS = "two_periods"
    TWO_SPLITS = "two_splits"  # skills by two of training, purpose, skill
    UNKNOWN_SITE = "unknown_site"  # no figures of that site at central
    NOT_A_YEAR = "not_a_year"  # a yearly summary of a year not begun, or not a year


class Refused(ValueError):
    """A request the reports cannot answer: the form's `field`, and why."""

    def __init__(self, field: str, problem: Problem) -> None:
        super().__init__(f"{field}: {problem}")
        self.field = field
        self.problem = problem


def checked(asked: Asked) -> Asked:
    """`asked` if the reports can answer it, else `Refused` naming the field."""
    if asked.first > asked.last:
        raise Refused("from", Problem.BACKWARDS)
    if (asked.last - asked.first).days > MAX_DAYS:
        raise Refused("from", Problem.TOO_LONG)
    if any(d not in DIMENSIONS[asked.report] for d in asked.dims):
        raise Refused("by", Problem.NOT_BY)
    if len(set(asked.dims)) != len(asked.dims):
        raise Refused("then", Problem.TWICE)
    if sum(d in PERIODS for d in asked.dims) > 1:
        raise Refused("then", Problem.TWO_PERIODS)
    if asked.report is Report.SKILLS and sum(d in SPLITS for d in asked.dims) > 1:
        raise Refused("then", Problem.TWO_SPLITS)
    return asked


def compute(connection: Connection, asked: Asked, config: StationConfig | None) -> ReportTable:
    """The published figures of `asked` (at most two dimensions: what `publish` takes)."""
    zone = ZoneInfo(config.site.timezone if config else "Europe/Paris")
    raw_since = people_since(connection, asked.site)
    return publish(
        figures(
            connection,
            asked.report,
            asked.site,
            asked.first,
            asked.last,
            list(asked.dims),
            zone,
            raw_since,
            config,
        )
    )


def figures(
    connection: Connection,
    report: Report,
    site: str | None,
    first: dt.date,
    last: dt.date,
    dims: list[str],
    zone: ZoneInfo,
    raw_since: dt.date | None,
    config: StationConfig | None,
) -> ReportTable:
    """The unpublished table of `report` (the console's and the command line's)."""
    if report is Report.ENTRIES:
        return entries_table(connection, site, first, last, dims, zone, raw_since=raw_since)
    if report is Report.USAGE:
        trainings = (
            {a.resource: tuple(a.trainings) for a in config.agents.values()} if config else {}
        )
        return usage_table(
            connection,
            site,
            first,
            last,
            dims,
            zone,
            raw_since=raw_since,
            trainings_of=lambda machine: trainings.get(machine, ()),
        )
    if report is Report.SKILLS:
        helping = [p.id for p in config.purposes if p.digital_help] if config else []
        return skills_table(
            connection,
            site,
            first,
            last,
            dims,
            zone,
            digital_help=helping,
            raw_since=raw_since,
        ).with_measures(measures_for(dims))
    return companies_table(connection, site, first, last, dims)


FIRST_YEAR = 2000


def summary_year(text: str, today: dt.date) -> int:
    """The year of a yearly summary, from 2000 to this one; else `Refused`."""
    try:
        year = int(text)
    except ValueError:
        raise Refused("year", Problem.NOT_A_YEAR) from None
    if not FIRST_YEAR <= year <= today.year:
        raise Refused("year", Problem.NOT_A_YEAR)
    return year


def yearly_summary(
    connection: Connection,
    site: str | None,
    year: int,
    today: dt.date,
    config: StationConfig | None,
) -> SummaryTables:
    """The tables of `station report summary --year YEAR --central [--site ID]`,
    published, up to `today` while the year runs."""
    from station.reports.summary import summary_tables

    return summary_tables(
        connection,
        site,
        year,
        today,
        ZoneInfo(config.site.timezone if config else "Europe/Paris"),
        raw_since=people_since(connection, site),
        published=True,
        digital_help=[p.id for p in config.purposes if p.digital_help] if config else (),
    )


def known_sites(connection: Connection) -> Sequence[str]:
    """Every site central holds figures of, by id."""
    found = _distinct(connection, EntryTally.site_id) | _distinct(connection, UsageTally.site_id)
    return sorted(found)


def _distinct(connection: Connection, column: Any) -> set[str]:
    """The values of a key's leading column, one index probe each (a loose index scan):
    a DISTINCT reads every row, 210 ms for the 1.9 M cells of five years of one large
    site (bench/bench_console.py), on every /reports page."""
    found: set[str] = set()
    value = connection.execute(select(func.min(column))).scalar()
    while value is not None:
        found.add(str(value))
        value = connection.execute(select(func.min(column)).where(column > value)).scalar()
    return found
