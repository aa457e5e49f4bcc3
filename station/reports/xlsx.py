"""xlsx workbooks (openpyxl): one sheet per report, numbers as numbers.

The header row holds the machine names (`entries`, `people`...), as CSV and JSON do,
in bold and frozen; the dimensions show their labels; a total row and the notes (what
the figures are, how counted, what is hidden) follow the figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from station.reports.labels import Labels
from station.reports.table import TOTAL, Key, ReportTable, Value
from station.reports.text import notes

MAX_TITLE = 31  # Excel's limit on a sheet's name
MAX_WIDTH = 60


def write_xlsx(tables: Sequence[ReportTable], labels: Labels, path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for table in tables:
        _fill(book.create_sheet(_sheet_name(table, labels, used)), table, labels)
    book.save(path)


def _fill(sheet: Any, table: ReportTable, labels: Labels) -> None:
    from openpyxl.styles import Font

    bold = Font(bold=True)
    sheet.append([*table.dimensions, *table.measures])
    for cell in sheet[1]:
        cell.font = bold
    for key, values in table.rows:
        sheet.append(_row(table, key, values, labels))
    if table.dimensions:
        first = [labels.word("total"), *([None] * (len(table.dimensions) - 1))]
        sheet.append(first + _figures(table, TOTAL, table.totals, labels))
        for cell in sheet[sheet.max_row]:
            cell.font = bold
    _set_widths(sheet, len(table.dimensions) + len(table.measures))
    sheet.freeze_panes = "A2"
    sheet.append([])
    for line in [labels.title(table), *notes(table, labels)]:
        sheet.append([line])


def _row(table: ReportTable, key: Key, values: Mapping[str, Value], labels: Labels) -> list[object]:
    named = [labels.value(d, k) for d, k in zip(table.dimensions, key, strict=True)]
    return [*named, *_figures(table, key, values, labels)]


def _figures(
    table: ReportTable, key: Key, values: Mapping[str, Value], labels: Labels
) -> list[object]:
    """Numbers stay numbers; a hidden cell shows its symbol."""
    shown: list[object] = []
    for m in table.measures:
        secrecy = table.secrecy(key, m)
        shown.append(labels.word(f"secret.{secrecy}") if secrecy is not None else values.get(m))
    return shown


def _sheet_name(table: ReportTable, labels: Labels, used: set[str]) -> str:
    base = labels.word(f"report.{table.name}")
    if table.dimensions:
        base += " - " + ", ".join(labels.column(d) for d in table.dimensions)
    name = "".join(ch for ch in base if ch not in "[]:*?/\\")[:MAX_TITLE]
    candidate, n = name, 2
    while candidate in used:
        suffix = f" {n}"
        candidate, n = name[: MAX_TITLE - len(suffix)] + suffix, n + 1
    used.add(candidate)
    return candidate


def _set_widths(sheet: Any, columns: int) -> None:
    """Each column as wide as its longest figure or label (the notes below excluded)."""
    from openpyxl.utils import get_column_letter

    widths = [0] * columns
    for row in sheet.iter_rows(min_row=1, max_col=columns):
        for index, cell in enumerate(row):
            widths[index] = max(widths[index], len("" if cell.value is None else str(cell.value)))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, width + 2)
