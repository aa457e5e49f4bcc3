"""Small layout helpers shared by the screens (no text of their own)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QLayout, QPushButton, QSizePolicy, QTableWidget, QWidget


def label(name: str = "", *, wrap: bool = True, center: bool = True) -> QLabel:
    widget = QLabel()
    if name:
        widget.setObjectName(name)
    widget.setWordWrap(wrap)
    if center:
        widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
    return widget


def button(name: str = "", *, checkable: bool = False) -> QPushButton:
    widget = QPushButton()
    if name:
        widget.setObjectName(name)
    widget.setCheckable(checkable)
    widget.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # touch screen: no focus rectangles
    widget.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    return widget


def clear(layout: QLayout) -> None:
    while layout.count():
        item = layout.takeAt(0)
        if item is None:
            break
        widget, inner = item.widget(), item.layout()
        if widget is not None:
            widget.hide()  # at once: deleteLater only acts when the event loop runs
            widget.deleteLater()
        elif inner is not None:
            clear(inner)


def reset_table(table: QTableWidget, rows: int) -> None:
    """Empty a table (cell widgets included, hidden at once) and size it to `rows`."""
    for row in range(table.rowCount()):
        for column in range(table.columnCount()):
            widget = table.cellWidget(row, column)
            if widget is not None:
                widget.hide()
    table.clearContents()
    table.setRowCount(rows)


def hhmm(moment: dt.datetime, zone: dt.tzinfo) -> str:
    return moment.astimezone(zone).strftime("%H:%M")


def wrap(widget: QWidget, margin: int = 48) -> None:
    layout = widget.layout()
    if layout is not None:
        layout.setContentsMargins(margin, margin // 2, margin, margin // 2)
