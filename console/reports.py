"""/reports: the figures staff and funders ask for, as `station report ... --publish`.

A plain GET form (the report, the days, the site, one or two dimensions); the same
query with `format=csv` or `format=xlsx` downloads the table shown. Every table is
published (cells under 5 people hidden, `station.reports.publish`): what the page
shows can be handed over as it is. An administrator reads every site or one; a
manager their own site, whatever the address asks.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from console.guard import Page, page
from console.i18n import Translate
from station.db.staff import SITE_ROLES, Role
from station.reports.asked import (
    DIMENSIONS,
    Asked,
    Problem,
    Refused,
    checked,
    compute,
    known_sites,
    summary_year,
    yearly_summary,
)
from station.reports.labels import Labels
from station.reports.table import TOTAL, Key, Report, ReportTable, Value
from station.reports.text import cell_text, figure_text, notes, to_csv
from station.reports.words import Lang

DEFAULT_BY = {
    Report.ENTRIES: "month",
    Report.USAGE: "machine",
    Report.SKILLS: "month",
    Report.COMPANIES: "year",
}
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Form:
    """What the form holds, as typed (shown again with the refusal if refused)."""

    report: str
    start: str
    end: str
    site: str
    by: str
    then: str


@dataclass(frozen=True)
class Answer:
    """What a request of the page gets: the form as typed, the sites it may choose, the
    published table or why not."""

    form: Form
    sites: Sequence[str]
    own_site: str | None
    table: ReportTable | Refused


@page(Role.MANAGER)
def reports(here: Page) -> Response:
    asked = _answer(here)
    labels = _labels(here)
    table = asked.table
    if isinstance(table, Refused):
        return _refused(here, asked, table)
    download = here.request.query_params.get("format")
    if download == "csv":
        return _download(to_csv(table, labels).encode("utf-8"), "text/csv; charset=utf-8", table)
    if download == "xlsx":
        return _download(_xlsx(table, labels), XLSX, table)
    chart = _query(asked.form) if table.rows and table.dimensions else ""
    return here.render(
        "reports.html", table=_shown(table, labels), chart=chart, **_context(here, asked)
    )


@page(Role.MANAGER)
def summary(here: Page) -> Response:
    """/reports/summary?year=YYYY[&site=ID]: `station report summary`'s page of the year
    for funders (published), as a file: it is self-contained, with its styles inline,
    which the console's own pages never are."""
    from station.reports.summary import render_summary

    own_site, sites = _scope(here)
    today = here.now.astimezone(ZoneInfo(here.console.timezone)).date()
    site = own_site or here.request.query_params.get("site", "")[:64] or None
    try:
        year = summary_year(here.request.query_params.get("year", ""), today)
        if site is not None and site not in sites:
            raise Refused("summary-site", Problem.UNKNOWN_SITE)
    except Refused as refused:
        return _refused(here, _answer(here), refused)  # the page's form, shown again
    tables = yearly_summary(here.db.connection(), site, year, today, here.console.config)
    html = render_summary(tables, _labels(here)).encode("utf-8")
    name = _file_name(["bilan", site or "tous-les-sites", str(year)])
    disposition = f'attachment; filename="{name}.html"'
    return Response(
        html, media_type="text/html; charset=utf-8", headers={"Content-Disposition": disposition}
    )


def _context(here: Page, asked: Answer, **more: Any) -> dict[str, Any]:
    today = here.now.astimezone(ZoneInfo(here.console.timezone)).date()
    return {
        "form": asked.form,
        "sites": asked.sites,
        "own_site": asked.own_site,
        "labels": _labels(here),
        "choices": CHOICES,
        "year": here.request.query_params.get("year", "")[:4] or str(today.year),
        "errors": {},
        **more,
    }


def _refused(here: Page, asked: Answer, refused: Refused) -> Response:
    error = {refused.field: problem_text(here.t, refused.problem)}
    return here.render("reports.html", status_code=422, **_context(here, asked, errors=error))


@page(Role.MANAGER)
def _chart(here: Page) -> Response:
    """/reports/chart.svg?<the page's query>: the table's first measure, drawn by
    station.reports.charts (the page shows it as an image above the table)."""
    from station.reports.charts import chart_svg

    table = _answer(here).table
    if isinstance(table, Refused) or not table.rows or not table.dimensions:
        return Response(b"", status_code=422)
    # The page says under the table how the figures were counted: not the chart too.
    drawn = chart_svg(replace(charted(table), method=""), _labels(here))
    return Response(drawn, media_type="image/svg+xml")


def charted(table: ReportTable) -> ReportTable:
    """The table with its first measure that shows a figure first (a chart draws its
    first measure): published check-ins may all be hidden where people are not."""
    for measure in table.measures:
        if any(table.secrecy(key, measure) is None and row.get(measure) for key, row in table.rows):
            rest = tuple(m for m in table.measures if m != measure)
            return table.with_measures((measure, *rest))
    return table


async def chart(request: Request) -> Response:
    response = await _chart(request)
    if response.media_type == "image/svg+xml":
        # matplotlib styles its drawing inline; shown as an image, it runs no script.
        response.headers["Content-Security-Policy"] = SVG_POLICY
    return response


def _scope(here: Page) -> tuple[str | None, Sequence[str]]:
    """The account's own site (a site role's), and the sites it may read."""
    assert here.account is not None
    own_site = here.account.site_id if here.account.role in SITE_ROLES else None
    return own_site, [own_site] if own_site else known_sites(here.db.connection())


def _answer(here: Page) -> Answer:
    own_site, sites = _scope(here)
    form = _form(here.request.query_params, here.now, here.console.timezone, own_site)
    connection = here.db.connection()
    try:
        asked = checked(_asked(form, sites))
    except Refused as refused:
        return Answer(form, sites, own_site, refused)
    return Answer(form, sites, own_site, compute(connection, asked, here.console.config))


def _query(form: Form) -> str:
    """The page's query for `form`, as the form itself sends it."""
    fields = {"report": form.report, "from": form.start, "to": form.end, "site": form.site}
    return urlencode({**fields, "by": form.by, "then": form.then})


def _form(params: QueryParams, now: dt.datetime, timezone: str, own_site: str | None) -> Form:
    today = now.astimezone(ZoneInfo(timezone)).date()
    report = params.get("report", Report.ENTRIES)
    report = report if report in Report._value2member_map_ else Report.ENTRIES
    return Form(
        report=report,
        start=params.get("from", "")[:10] or today.replace(month=1, day=1).isoformat(),
        end=params.get("to", "")[:10] or today.isoformat(),
        site=own_site or params.get("site", "")[:64],
        by=params.get("by", DEFAULT_BY[Report(report)])[:20],
        then=params.get("then", "")[:20],
    )


def _asked(form: Form, sites: Sequence[str]) -> Asked:
    try:
        first = dt.date.fromisoformat(form.start)
    except ValueError:
        raise Refused("from", Problem.NOT_A_DAY) from None
    try:
        last = dt.date.fromisoformat(form.end)
    except ValueError:
        raise Refused("to", Problem.NOT_A_DAY) from None
    if form.site and form.site not in sites:
        raise Refused("site", Problem.UNKNOWN_SITE)
    dims = tuple(d for d in (form.by, form.then) if d)
    return Asked(Report(form.report), first, last, dims, form.site or None)


def problem_text(t: Translate, problem: Problem) -> str:
    texts = {
        Problem.NOT_A_DAY: t("Une date comme 2026-03-31."),
        Problem.BACKWARDS: t("Le premier jour est après le dernier."),
        Problem.TOO_LONG: t("Dix ans au plus à la fois."),
        Problem.NOT_BY: t("Ce rapport ne se découpe pas ainsi."),
        Problem.TWICE: t("Deux découpages différents, ou un seul."),
        Problem.TWO_PERIODS: t("Une seule période à la fois (jour, semaine, mois...)."),
        Problem.TWO_SPLITS: t("Une seule de formation, motif de venue ou compétence."),
        Problem.UNKNOWN_SITE: t("Aucun chiffre de ce site."),
        Problem.NOT_A_YEAR: t("Une année commencée, comme 2026."),
    }
    return texts[problem]


def _labels(here: Page) -> Labels:
    lang = Lang(here.language.value)
    config = here.console.config
    return Labels.from_config(config, lang) if config is not None else Labels(lang=lang)


@dataclass(frozen=True)
class Shown:
    """A table as the page prints it: every value in words, hidden cells as symbols."""

    title: str
    columns: list[str]
    rows: list[tuple[list[str], list[str]]]  # the dimensions' names; the figures
    total: list[str]
    dimensions: int
    notes: list[str]


def _shown(table: ReportTable, labels: Labels) -> Shown:
    comma = labels.lang is Lang.FR

    def figures(key: Key, values: Mapping[str, Value]) -> list[str]:
        if not table.suppressed:  # five years by day is 9,000 figures: no lookup each
            return [figure_text(values.get(m), comma) for m in table.measures]
        return [cell_text(table, key, m, values.get(m), labels, comma) for m in table.measures]

    return Shown(
        title=labels.title(table),
        columns=[labels.column(c) for c in (*table.dimensions, *table.measures)],
        rows=[(_names(table, key, labels), figures(key, values)) for key, values in table.rows],
        total=figures(TOTAL, table.totals),
        dimensions=len(table.dimensions),
        notes=notes(table, labels),
    )


def _names(table: ReportTable, key: Key, labels: Labels) -> list[str]:
    return [labels.value(d, k) for d, k in zip(table.dimensions, key, strict=True)]


def _xlsx(table: ReportTable, labels: Labels) -> bytes:
    from station.reports.xlsx import write_xlsx

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "report.xlsx"
        write_xlsx([table], labels, path)
        return path.read_bytes()


def _download(content: bytes, media_type: str, table: ReportTable) -> Response:
    extension = "xlsx" if media_type == XLSX else "csv"
    parts = [table.name, table.site or "tous-les-sites", table.first_day, table.last_day]
    name = _file_name([str(p) for p in [*parts, *table.dimensions]])
    disposition = f'attachment; filename="{name}.{extension}"'
    return Response(content, media_type=media_type, headers={"Content-Disposition": disposition})


def _file_name(parts: list[str]) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", "-".join(parts))


ROUTES = [
    Route("/reports", reports),
    Route("/reports/chart.svg", chart),
    Route("/reports/summary", summary),
]
# Every report's dimensions, for the form's choices: periods first, as the reports order them.
CHOICES = list(dict.fromkeys(d for report in Report for d in DIMENSIONS[report]))
