"""The text formats: a rich table for the terminal, CSV for spreadsheets, JSON for programs.

CSV and JSON name their columns with the machine names (`entries`, `people`...); CSV
shows the dimensions' labels (what a person reads in LibreOffice or Excel) and starts with
a byte-order mark, without which Excel reads UTF-8 as Windows-1252 and breaks the
accents. JSON keeps the codes, numbers as numbers, and a hidden cell as null listed
under "suppressed".
"""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from station.reports.labels import Labels
from station.reports.table import ANY, TOTAL, Key, ReportTable, Secrecy, Value
from station.reports.words import Lang

if TYPE_CHECKING:
    from rich.table import Table

BOM = "\ufeff"


def cell_text(
    table: ReportTable, key: Key, measure: str, value: Value, labels: Labels, comma: bool
) -> str:
    """A figure as a person reads it: `< 5` or `s` when hidden, a decimal comma if asked."""
    secrecy = table.secrecy(key, measure)
    if secrecy is not None:
        return labels.word(f"secret.{secrecy}")
    return figure_text(value, comma)


def figure_text(value: Value, comma: bool) -> str:
    """A figure not hidden, as a person reads it: at most two decimals."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".")
        return text.replace(".", ",") if comma else text
    return str(value)


def notes(table: ReportTable, labels: Labels) -> list[str]:
    """What a reader of the figures must know: how they were counted, what is hidden."""
    lines = [labels.method(table.method)]
    if table.suppressed:
        lines.append(labels.word("secret.note"))
    return lines


def to_csv(table: ReportTable, labels: Labels, *, excel: bool = False) -> str:
    """The table as CSV text, byte-order mark first; `excel`: `;` and decimal commas, as
    a French Excel expects."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if excel else ",", lineterminator="\r\n")
    writer.writerow([*table.dimensions, *table.measures])
    for key, values in table.rows:
        writer.writerow(
            [
                *(labels.value(d, k) for d, k in zip(table.dimensions, key, strict=True)),
                *(cell_text(table, key, m, values.get(m), labels, excel) for m in table.measures),
            ]
        )
    return BOM + out.getvalue()


def to_json(table: ReportTable) -> dict[str, Any]:
    """The table for programs: codes, numbers as numbers, hidden cells null and listed."""

    def record(key: Key, values: Any) -> dict[str, Any]:
        named: dict[str, Any] = dict(zip(table.dimensions, key, strict=True))
        named.update({m: values.get(m) for m in table.measures})
        return named

    return {
        "report": str(table.name),
        "site": table.site,
        "from": table.first_day.isoformat() if table.first_day else None,
        "to": table.last_day.isoformat() if table.last_day else None,
        "dimensions": list(table.dimensions),
        "measures": list(table.measures),
        "method": str(table.method),
        "rows": [record(key, values) for key, values in table.rows],
        "totals": {m: table.totals.get(m) for m in table.measures},
        "suppressed": [_hidden(table, key, m, why) for (key, m), why in table.suppressed.items()],
    }


def _hidden(table: ReportTable, key: Key, measure: str, why: Secrecy) -> dict[str, Any]:
    where = {} if key == TOTAL else dict(zip(table.dimensions, key, strict=True))
    margin = [d for d, v in where.items() if v == ANY]
    return {"at": where, "measure": measure, "secrecy": str(why), "margin_over": margin}


def to_rich(table: ReportTable, labels: Labels) -> Table:
    from rich.table import Table

    comma = labels.lang is Lang.FR
    shown = Table(title=labels.title(table), caption="\n".join(notes(table, labels)))
    for d in table.dimensions:
        shown.add_column(labels.column(d))
    for m in table.measures:
        shown.add_column(labels.column(m), justify="right")
    for key, values in table.rows:
        shown.add_row(
            *(labels.value(d, k) for d, k in zip(table.dimensions, key, strict=True)),
            *(cell_text(table, key, m, values.get(m), labels, comma) for m in table.measures),
        )
    if table.dimensions:
        first = [labels.word("total"), *([""] * (len(table.dimensions) - 1))]
        figures = [
            cell_text(table, TOTAL, m, table.totals.get(m), labels, comma) for m in table.measures
        ]
        shown.add_section()
        shown.add_row(*first, *figures, style="bold")
    return shown
