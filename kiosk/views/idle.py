"""The idle screen: "Badgez ici", the time, today's hours, people in, how full each
space is, today's events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from PySide6.QtCore import QDate, QLocale, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QProgressBar, QVBoxLayout, QWidget

from kiosk.screens import IdleInfo, Space
from kiosk.views.common import button, clear, hhmm, label
from station.today import SpaceFill

HOURS_MAX_WIDTH = 640  # px; today's hours wrap beyond, the date beside them


class IdleView(QWidget):
    visitor_clicked = Signal()

    def __init__(
        self,
        zone: dt.tzinfo,
        clock: Callable[[], dt.datetime],
        language: Callable[[], str],
        spaces: Sequence[Space] = (),
    ) -> None:
        super().__init__()
        self.zone, self.clock, self.language = zone, clock, language
        self.space_names = {s.id: s for s in spaces}
        self.info: IdleInfo | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 24, 48, 32)
        self.prompt = label("huge")
        self.hint = label("subtitle")
        self.time = label("clock")
        self.date = label("subtitle", wrap=False)
        self.hours = label("subtitle")
        self.people = label("subtitle")
        for widget in (self.prompt, self.hint, self.time):
            layout.addWidget(widget)
        # The date and today's hours share a line, leaving room for the spaces below.
        day = QHBoxLayout()
        self.separator = label("subtitle")
        self.separator.setText("·")
        self.separator.setContentsMargins(12, 0, 12, 0)
        day.addStretch(1)
        for widget in (self.date, self.separator, self.hours):
            day.addWidget(widget)
        day.addStretch(1)
        layout.addLayout(day)
        layout.addWidget(self.people)
        # One card per space with a capacity: its name, people in / capacity, a gauge.
        self.spaces = QWidget()
        self.spaces_layout = QHBoxLayout(self.spaces)
        self.spaces_layout.setContentsMargins(0, 0, 0, 0)
        self.spaces_layout.setSpacing(12)
        layout.addWidget(self.spaces)
        self.events_card = QFrame()
        self.events_card.setObjectName("card")
        self.events_layout = QVBoxLayout(self.events_card)
        layout.addWidget(self.events_card)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.visitor = button()
        self.visitor.clicked.connect(self.visitor_clicked)
        row.addWidget(self.visitor, 2)
        row.addStretch(1)
        layout.addLayout(row)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self.update_clock)
        self._tick.start()
        self.retranslate()

    def set_info(self, info: IdleInfo) -> None:
        self.info = info
        self.retranslate()

    def update_clock(self) -> None:
        now = self.clock()
        self.time.setText(hhmm(now, self.zone))
        local = now.astimezone(self.zone)
        locale = QLocale(
            QLocale.Language.English if self.language() == "en" else QLocale.Language.French
        )
        self.date.setText(
            locale.toString(QDate(local.year, local.month, local.day), "dddd d MMMM yyyy")
        )

    def retranslate(self) -> None:
        self.prompt.setText(self.tr("Badgez ici"))
        self.hint.setText(self.tr("Posez votre badge sur le lecteur pour entrer ou sortir"))
        self.visitor.setText(self.tr("Je n'ai pas de badge"))
        self.update_clock()
        info = self.info
        hours = info.hours if info else None
        self.separator.setVisible(hours is not None)
        if hours is None:
            self.hours.setText("")
        elif not hours.ranges:
            self.hours.setText(
                self.tr("Fermé aujourd'hui") + (f" ({hours.label})" if hours.label else "")
            )
        else:
            text = self.tr("Aujourd'hui : %1").replace("%1", hours.text())
            self.hours.setText(text + (f" ({hours.label})" if hours.label else ""))
        # On one line beside the date, unless a long label needs to wrap.
        self.hours.ensurePolished()
        self.hours.setMinimumWidth(
            min(HOURS_MAX_WIDTH, 1 + self.hours.fontMetrics().horizontalAdvance(self.hours.text()))
        )
        if info is None or info.people_in is None:
            self.people.setText("")
        else:
            count = info.people_in
            # Spelled out rather than Qt's %n plurals: French (the source) counts 0 as one.
            self.people.setText(
                self.tr("Personne sur place pour l'instant")
                if count == 0
                else self.tr("1 personne sur place")
                if count == 1
                else self.tr("%1 personnes sur place").replace("%1", str(count))
            )
        clear(self.spaces_layout)
        fills = info.spaces if info else ()
        self.spaces.setVisible(bool(fills))
        for fill in fills:
            self.spaces_layout.addWidget(self._space_card(fill), 1)
        clear(self.events_layout)
        events = info.events if info else ()
        self.events_card.setVisible(bool(events))
        if events:
            title = label("subtitle", center=False)
            title.setText(self.tr("Au programme aujourd'hui"))
            self.events_layout.addWidget(title)
            for event in events[:5]:
                when = (
                    self.tr("Toute la journée") if event.all_day else hhmm(event.start, self.zone)
                )
                where = f" — {event.location}" if event.location else ""
                line = label(center=False)
                line.setText(f"{when}  {event.summary}{where}")
                self.events_layout.addWidget(line)

    def _space_card(self, fill: SpaceFill) -> QFrame:
        card = QFrame()
        card.setObjectName("space")
        box = QVBoxLayout(card)
        box.setContentsMargins(8, 4, 8, 8)
        box.setSpacing(0)
        space = self.space_names.get(fill.space)
        name = label("space_name")
        name.setText(space.label(self.language()) if space else fill.space)
        # Words as well as the gauge's colour: "complet" when it is full.
        figure = label("space_full" if fill.full else "space_count")
        count = f"{fill.people_in} / {fill.capacity}"
        figure.setText(self.tr("%1 · complet").replace("%1", count) if fill.full else count)
        gauge = QProgressBar()
        gauge.setObjectName("full" if fill.full else "")
        gauge.setTextVisible(False)
        gauge.setRange(0, fill.capacity)
        gauge.setValue(min(fill.people_in, fill.capacity))
        gauge.setFixedHeight(8)
        for widget in (name, figure, gauge):
            box.addWidget(widget)
        return card
