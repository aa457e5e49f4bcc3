"""The summary page's measures of return: skills gained and companies created.

The year's figures of `station report skills|companies` (`station.reports.outcomes`):
trainings granted, digital-help accompaniments, the distinct people helped, skills
recorded and companies created, then one small table per training, per skill and per
hosting offer. Published, their tables follow the rest of the page: what `--publish`
hides of a total in one table is hidden in all of them, and the digital-help figures
are hidden where the page's table by purpose hides the same check-ins or people.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

from station.reports.labels import Labels
from station.reports.outcomes import companies_table, skills_table
from station.reports.publish import publish
from station.reports.table import (
    SKILL_MEASURES,
    TOTAL,
    Dimension,
    Key,
    Measure,
    ReportTable,
    Secrecy,
    Value,
)

Share = Callable[[list[ReportTable]], list[ReportTable]]  # tables with their totals shared
Figure = Callable[[ReportTable, str, Labels], str]  # a table's total as the page shows it
Number = Callable[[ReportTable, Key, str, Value, Labels], str]  # a cell as the page shows it

# The skills counts that are the page's entries by purpose again, for the digital-help
# purposes: accompaniments are their check-ins, the people helped their people.
_SAME_AS_ENTRIES = {Measure.ACCOMPANIMENTS: Measure.ENTRIES, Measure.HELPED: Measure.PEOPLE}


@dataclass(frozen=True)
class OutcomeTables:
    """The year's skills and companies, published unless asked not to."""

    year: ReportTable  # skills by year: one row, its totals the key figures
    by_training: ReportTable  # trainings granted per training
    by_skill: ReportTable  # skills recorded per skill of the catalogue
    companies: ReportTable  # companies created per hosting offer; its total the figure

    def every(self) -> tuple[ReportTable, ...]:
        return (self.year, self.by_training, self.by_skill, self.companies)


def outcome_tables(
    connection: Any,
    site: str | None,
    first: dt.date,
    last: dt.date,
    zone: Any,
    *,
    digital_help: Collection[str],
    by_purpose: ReportTable,
    raw_since: dt.date | None,
    published: bool,
    share: Share,
) -> OutcomeTables:
    """The tables from `first` to `last` at `site` (None: every site). `by_purpose`: the
    page's entries by purpose, as shown; `share`: how the page shares hidden totals."""

    def skills(dim: str) -> ReportTable:
        table = skills_table(
            connection,
            site,
            first,
            last,
            [dim],
            zone,
            digital_help=digital_help,
            raw_since=raw_since,
        )
        return publish(table) if published else table

    year, by_training, by_skill = share(
        [skills(Dimension.YEAR), skills(Dimension.TRAINING), skills(Dimension.SKILL)]
    )
    companies = companies_table(connection, site, first, last, [Dimension.OFFER])
    return OutcomeTables(
        year=tied(year, by_purpose, digital_help) if published else year,
        by_training=by_training,
        by_skill=by_skill,
        companies=publish(companies) if published else companies,
    )


def tied(year: ReportTable, by_purpose: ReportTable, digital_help: Collection[str]) -> ReportTable:
    """`year` with its accompaniments (people helped) hidden where `by_purpose` hides the
    check-ins (people) of a digital-help purpose: they would give them away by
    subtraction. The other way needs nothing: a hidden digital-help figure is small, and
    so is each purpose's part of it, hidden in `by_purpose` too."""
    suppressed = dict(year.suppressed)
    for measure, same in _SAME_AS_ENTRIES.items():
        hidden = any(
            key[0] in digital_help and by_purpose.secrecy(key, same) is not None
            for key, _ in by_purpose.rows
        )
        if hidden and year.secrecy(TOTAL, measure) is None:
            for key in (TOTAL, *(k for k, _ in year.rows)):
                suppressed[(key, measure)] = Secrecy.COMPLEMENT
    if suppressed == dict(year.suppressed):
        return year
    hidden_measures = {m for _, m in suppressed}
    totals = {m: (None if m in hidden_measures else v) for m, v in year.totals.items()}
    rows = tuple(
        (key, {m: (None if (key, m) in suppressed else v) for m, v in values.items()})
        for key, values in year.rows
    )
    return replace(year, rows=rows, totals=totals, suppressed=suppressed)


# ---- what the page shows -------------------------------------------------------------


@dataclass(frozen=True)
class SmallTable:
    """One of the section's tables: a dimension's values and one count, then the total."""

    heading: str  # the dimension (training, skill, hosting offer)
    column: str  # the count
    rows: list[tuple[str, str]]
    total: str


def outcome_figures(tables: OutcomeTables, labels: Labels, figure: Figure) -> list[tuple[str, str]]:
    """(label, figure as shown), the skills' four counts then the companies. `figure`:
    the page's way of showing a table's total."""
    shown = [(labels.column(m), figure(tables.year, m, labels)) for m in SKILL_MEASURES]
    companies = figure(tables.companies, Measure.COMPANIES, labels)
    return [*shown, (labels.column(Measure.COMPANIES), companies)]


def small_tables(tables: OutcomeTables, labels: Labels, number: Number) -> list[SmallTable]:
    """Per training, per skill, per hosting offer: the largest first. `number`: the
    page's way of showing a cell."""
    chosen: Sequence[tuple[ReportTable, str]] = (
        (tables.by_training, Measure.TRAININGS),
        (tables.by_skill, Measure.SKILLS),
        (tables.companies, Measure.COMPANIES),
    )
    shown: list[SmallTable] = []
    for table, measure in chosen:
        dim = table.dimensions[0]

        def order(row: Any, dim: str = dim, measure: str = measure) -> tuple[float, str]:
            value = row[1].get(measure)
            size = float(value) if isinstance(value, int | float) else 0.0
            return (-size, labels.value(dim, row[0][0]))

        rows = [
            (labels.value(dim, key[0]), number(table, key, measure, values.get(measure), labels))
            for key, values in sorted(table.rows, key=order)
        ]
        total = number(table, TOTAL, measure, table.totals.get(measure), labels)
        shown.append(SmallTable(labels.column(dim), labels.column(measure), rows, total))
    return shown
