"""`station report summary`: a year's activity on one self-contained HTML page.

For the annual report to funders: the key figures (entries, people, members and
visitors, the median visit, machine sessions, hours and users), the operator's measures
of return (skills gained and companies created, `station.reports.summary_outcomes`), the
charts of `station.reports.charts` inlined as SVG (their text drawn as paths, so no font
is needed), the table of home communes and the sentences saying how it was all counted.
Nothing is fetched from elsewhere (no CDN, no web font, no image file), so the page
reads offline and prints to PDF from a browser (A4). `--publish` is applied unless
asked not to: each table is published as `station report --publish` publishes it.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Any

from station.communes import OTHER_COMMUNE
from station.reports.from_aggregates import entries_table, usage_table
from station.reports.labels import Labels
from station.reports.publish import publish
from station.reports.summary_outcomes import (
    OutcomeTables,
    outcome_figures,
    outcome_tables,
    small_tables,
)
from station.reports.table import (
    TOTAL,
    UNKNOWN,
    Dimension,
    Measure,
    ReportTable,
    Secrecy,
    Value,
)
from station.reports.text import cell_text
from station.reports.words import Lang

TEMPLATE = "summary.html"
TOP_COMMUNES = 12  # bars in the communes chart; the table has them all
_ENTRY_COLUMNS = (
    Measure.ENTRIES,
    Measure.PEOPLE,
    Measure.FIRST_TIME,
    Measure.MEMBERS,
    Measure.VISITORS,
    Measure.MEDIAN_MINUTES,
)
_USAGE_COLUMNS = (Measure.HOURS, Measure.SESSIONS, Measure.USERS)  # a chart draws the first


@dataclass(frozen=True)
class SummaryTables:
    """The year's reports the page shows, published unless asked not to."""

    by_month: ReportTable  # entries by month; its totals are the year's key figures
    by_purpose: ReportTable
    by_commune: ReportTable
    occupancy: ReportTable  # entries by weekday and hour
    machines: ReportTable  # usage by machine, hours first
    outcomes: OutcomeTables  # skills gained and companies created
    year: int
    published: bool


def summary_tables(
    connection: Any,
    site: str | None,
    year: int,
    today: dt.date,
    zone: Any,
    *,
    raw_since: dt.date | None = None,
    published: bool = True,
    digital_help: Collection[str] = (),
) -> SummaryTables:
    """The reports of `year` (up to `today` while the year runs) at `site`, or every
    site (None: central). `digital_help`: the purposes whose check-ins are
    accompaniments."""
    first = dt.date(year, 1, 1)
    last = min(dt.date(year, 12, 31), today)
    if last < first:
        raise ValueError(f"{year} has not started on {today}")

    def entries(*dims: str) -> ReportTable:
        table = entries_table(connection, site, first, last, dims, zone, raw_since=raw_since)
        return _finish(table, _computed(table, _ENTRY_COLUMNS), published)

    machines = usage_table(
        connection, site, first, last, [Dimension.MACHINE], zone, raw_since=raw_since
    )
    by_month, by_purpose, by_commune, occupancy = _shared_totals(
        [
            entries(Dimension.MONTH),
            entries(Dimension.PURPOSE),
            entries(Dimension.COMMUNE),
            entries(Dimension.WEEKDAY, Dimension.HOUR),
        ]
    )
    outcomes = outcome_tables(
        connection,
        site,
        first,
        last,
        zone,
        digital_help=digital_help,
        by_purpose=by_purpose,
        raw_since=raw_since,
        published=published,
        share=_shared_totals,
    )
    return SummaryTables(
        by_month=by_month,
        by_purpose=by_purpose,
        by_commune=by_commune,
        occupancy=occupancy,
        machines=_finish(machines, _computed(machines, _USAGE_COLUMNS), published),
        outcomes=outcomes,
        year=year,
        published=published,
    )


def _shared_totals(tables: list[ReportTable]) -> list[ReportTable]:
    """The page's entry tables share their year's totals: one that `--publish` hides
    in one table (a complement of small cells there) is hidden in all of them, or the
    key figures, read from another table, would give the small cells away."""
    hidden = {m for t in tables for (key, m) in t.suppressed if key == TOTAL}
    if not hidden:
        return tables
    shared: list[ReportTable] = []
    for table in tables:
        totals = {m: (None if m in hidden else v) for m, v in table.totals.items()}
        suppressed = dict(table.suppressed)
        for m in hidden & set(table.measures):
            suppressed.setdefault((TOTAL, m), Secrecy.COMPLEMENT)
        shared.append(replace(table, totals=totals, suppressed=suppressed))
    return shared


def _computed(table: ReportTable, columns: Sequence[str]) -> tuple[str, ...]:
    # A measure the aggregates do not give yet (None for the year) is left out, not shown
    # as a column of blanks; the distinct counts are kept: their absence is explained.
    kept = {Measure.PEOPLE, Measure.USERS}
    return tuple(c for c in columns if c in kept or table.totals.get(c) is not None)


def _finish(table: ReportTable, measures: tuple[str, ...], published: bool) -> ReportTable:
    table = table.with_measures(measures)
    return publish(table) if published else table


def render_summary(tables: SummaryTables, labels: Labels) -> str:
    """The page, as HTML text."""
    from markupsafe import Markup

    template = _template()
    charts = _charts(tables, labels)
    # The communes table: how many came from each, and how many people (as counted).
    shown = [m for m in (Measure.ENTRIES, Measure.PEOPLE) if m in tables.by_commune.measures]
    communes = tables.by_commune.with_measures(tuple(shown))
    first, last = tables.by_month.first_day, tables.by_month.last_day
    assert first is not None and last is not None
    return template.render(
        lang=labels.lang.value,
        title=f"{labels.word('summary.title')} {tables.year}",
        where=labels.site(tables.by_month.site),
        span=labels.word("summary.span").format(first=labels.day(first), last=labels.day(last)),
        words=labels.word,
        figures=key_figures(tables, labels),
        outcome_figures=outcome_figures(tables.outcomes, labels, _figure),
        outcome_tables=small_tables(tables.outcomes, labels, number),
        charts=[replace(chart, svg=Markup(chart.svg)) for chart in charts],
        communes=_commune_rows(communes, labels),
        commune_total=_commune_total(communes, labels),
        commune_columns=[labels.column(m) for m in communes.measures],
        notes=_notes(tables, labels),
    )


@functools.cache
def _template() -> Any:
    """The page's template, compiled once (compiling takes longer than rendering)."""
    from jinja2 import Environment, StrictUndefined, select_autoescape

    source = (resources.files("station.reports") / "templates" / TEMPLATE).read_text("utf-8")
    environment = Environment(autoescape=select_autoescape(default=True), undefined=StrictUndefined)
    return environment.from_string(source)


def write_summary(tables: SummaryTables, labels: Labels, path: Path) -> None:
    path.write_text(render_summary(tables, labels), encoding="utf-8")


# ---- key figures ------------------------------------------------------------------


def key_figures(tables: SummaryTables, labels: Labels) -> list[tuple[str, str]]:
    """(label, figure as shown) for the head of the page, in this order."""
    entries, usage = tables.by_month, tables.machines
    shown: list[tuple[str, str]] = []
    for measure in entries.measures:
        if measure == Measure.MEDIAN_MINUTES:
            continue
        shown.append((labels.column(measure), _figure(entries, measure, labels)))
    median = _figure(entries, Measure.MEDIAN_MINUTES, labels)
    if entries.totals.get(Measure.MEDIAN_MINUTES) is not None:
        median = labels.word("summary.minutes").format(value=median)
    shown.append((labels.word("summary.median_visit"), median))
    for measure in (Measure.SESSIONS, Measure.HOURS, Measure.USERS):
        figure = _figure(usage, measure, labels)
        if measure == Measure.HOURS and usage.totals.get(measure) is not None:
            figure = labels.word("summary.hours").format(value=figure)
        shown.append((labels.column(measure), figure))
    return shown


def _figure(table: ReportTable, measure: str, labels: Labels) -> str:
    value = table.totals.get(measure)
    if table.secrecy(TOTAL, measure) is None and value is None:
        return labels.word("summary.unavailable")
    return number(table, TOTAL, measure, value, labels)


def number(
    table: ReportTable, key: tuple[str, ...], measure: str, value: Value, labels: Labels
) -> str:
    """A figure as the page shows it: thousands grouped, decimal comma in French, the
    `--publish` symbols for hidden cells."""
    if table.secrecy(key, measure) is not None or value is None:
        return cell_text(table, key, measure, value, labels, labels.lang is Lang.FR)
    if isinstance(value, float) and not value.is_integer():
        text = f"{value:,.1f}"
    else:
        text = f"{round(value):,d}"
    if labels.lang is Lang.FR:  # 12 345,5: a narrow no-break space groups the thousands
        text = text.replace(",", "\u202f").replace(".", ",")
    return text


# ---- charts -----------------------------------------------------------------------


@dataclass(frozen=True)
class Chart:
    title: str  # what it shows, where and when (drawn in it too)
    svg: str  # the <svg> element, or "" when there is nothing to draw
    caption: str = ""  # what to know beside it
    wide: bool = False  # across the page (many columns: months, hours)


def _charts(tables: SummaryTables, labels: Labels) -> list[Chart]:
    communes = tables.by_commune
    # People by commune, when counted: how many inhabitants the site served.
    people = communes.totals.get(Measure.PEOPLE) is not None
    if (people or communes.secrecy(TOTAL, Measure.PEOPLE)) and Measure.PEOPLE in communes.measures:
        communes = _first(communes, Measure.PEOPLE)
    top = sorted(communes.rows, key=lambda row: -_size(row[1].get(communes.measures[0])))
    more = len(top) > TOP_COMMUNES
    # Two a row, the heat-map across the page (its hours need the width).
    chosen: list[tuple[ReportTable, str, bool]] = [
        (tables.by_month, "", False),
        (tables.by_purpose, "", False),
        (tables.occupancy, "", True),
        (
            replace(communes, rows=tuple(top[:TOP_COMMUNES])),
            labels.word("summary.top_communes").format(count=TOP_COMMUNES) if more else "",
            False,
        ),
        (tables.machines, "", False),
    ]
    drawn: list[Chart] = []
    for index, (table, caption, wide) in enumerate(chosen):
        title = labels.title(table, table.measures[0])
        svg = inline_svg(_chart_svg(table, labels), f"c{index}", title) if table.rows else ""
        drawn.append(Chart(title, svg, caption, wide))
    return drawn


def _first(table: ReportTable, measure: str) -> ReportTable:
    return table.with_measures((measure, *(m for m in table.measures if m != measure)))


def _size(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _chart_svg(table: ReportTable, labels: Labels) -> str:
    from station.reports.charts import chart_svg

    # The page says once how the figures were counted and what is hidden: not each chart.
    return chart_svg(replace(table, method=""), labels)


_PROLOG = re.compile(r"<\?xml.*?\?>|<!DOCTYPE.*?>|<metadata>.*?</metadata>", re.DOTALL)
_NAMESPACES = re.compile(r'\s+xmlns(:\w+)?="[^"]*"')
# An id, and each reference to one (the SVG's own: every id and reference gets the prefix).
_IDS = re.compile(r'(\bid="|url\(#|href="#)')


def inline_svg(svg: str, prefix: str, title: str) -> str:
    """A matplotlib SVG as an element of the HTML page: no XML prolog, no namespaces
    (HTML puts <svg> in its own), no metadata (they name web addresses), its ids made
    unique in the page (several charts define the same clip paths), and its title
    given to the <svg> as its accessible name."""
    from markupsafe import escape

    svg = _PROLOG.sub("", svg)
    svg = _NAMESPACES.sub("", svg)
    svg = _IDS.sub(lambda found: f"{found.group(1)}{prefix}-", svg)
    svg = svg.strip()
    opened = svg.index(">") + 1
    named = f'<title id="{prefix}-title">{escape(title)}</title>'
    head = svg[: opened - 1] + f' role="img" aria-labelledby="{prefix}-title">'
    return head + named + svg[opened:]


# ---- communes and notes -----------------------------------------------------------


def _commune_rows(table: ReportTable, labels: Labels) -> list[list[str]]:
    """(name, INSEE code, figures...) from the largest down; outside the territory and
    not given last."""

    def order(row: tuple[tuple[str, ...], Any]) -> tuple[int, float, str]:
        key, values = row
        late = key[0] in {OTHER_COMMUNE, UNKNOWN}
        return (int(late), -_size(values.get(table.measures[0])), labels.commune_name(key[0]))

    rows: list[list[str]] = []
    for key, values in sorted(table.rows, key=order):
        code = key[0] if key[0] not in {OTHER_COMMUNE, UNKNOWN} else "—"
        figures = [number(table, key, m, values.get(m), labels) for m in table.measures]
        rows.append([labels.commune_name(key[0]), code, *figures])
    return rows


def _commune_total(table: ReportTable, labels: Labels) -> list[str]:
    figures = [number(table, TOTAL, m, table.totals.get(m), labels) for m in table.measures]
    return [labels.word("total"), "", *figures]


def _notes(tables: SummaryTables, labels: Labels) -> list[str]:
    every: Sequence[ReportTable] = (
        tables.by_month,
        tables.by_purpose,
        tables.by_commune,
        tables.occupancy,
        tables.machines,
        *tables.outcomes.every(),
    )
    sentences = dict.fromkeys(labels.method(t.method) for t in every)
    if tables.published:
        sentences[labels.word("summary.published")] = None
        if any(t.suppressed for t in every):
            sentences[labels.word("secret.note")] = None
    else:
        sentences[labels.word("summary.not_published")] = None
    return list(sentences)
