"""The idle screen: "Badgez ici", the time, today's hours, people in, today's events."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QDate, QLocale, QTimer, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QVBoxLayout, QWidget

from kiosk.screens import IdleInfo
from kiosk.views.common import button, clear, hhmm, label


class IdleView(QWidget):
    visitor_clicked = Signal()

    def __init__(self, zone: dt.tzinfo, clock: Callable[[], dt.datetime],
                 language: Callable[[], str]) -> None:
        super().__init__()
        self.zone, self.clock, self.language = zone, clock, language
        self.info: IdleInfo | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 24, 48, 32)
        self.prompt = label("huge")
        self.hint = label("subtitle")
        self.time = label("clock")
        self.date = label("subtitle")
        self.hours = label("subtitle")
        self.people = label("subtitle")
        for widget in (self.prompt, self.hint, self.time, self.date, self.hours, self.people):
            layout.addWidget(widget)
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
        locale = QLocale(QLocale.Language.English if self.language() == "en"
                         else QLocale.Language.French)
        self.date.setText(locale.toString(QDate(local.year, local.month, local.day),
                                          "dddd d MMMM yyyy"))

    def retranslate(self) -> None:
        self.prompt.setText(self.tr("Badgez ici"))
        self.hint.setText(self.tr("Posez votre badge sur le lecteur pour entrer ou sortir"))
        self.visitor.setText(self.tr("Je n'ai pas de badge"))
        self.update_clock()
        info = self.info
        hours = info.hours if info else None
        if hours is None:
            self.hours.setText("")
        elif not hours.ranges:
            self.hours.setText(self.tr("Fermé aujourd'hui") +
                               (f" ({hours.label})" if hours.label else ""))
        else:
            text = self.tr("Aujourd'hui : %1").replace("%1", hours.text())
            self.hours.setText(text + (f" ({hours.label})" if hours.label else ""))
        if info is None or info.people_in is None:
            self.people.setText("")
        else:
            count = info.people_in
            # Spelled out rather than Qt's %n plurals: French (the source) counts 0 as one.
            self.people.setText(self.tr("Personne sur place pour l'instant") if count == 0
                                else self.tr("1 personne sur place") if count == 1
                                else self.tr("%1 personnes sur place").replace("%1", str(count)))
        clear(self.events_layout)
        events = info.events if info else ()
        self.events_card.setVisible(bool(events))
        if events:
            title = label("subtitle", center=False)
            title.setText(self.tr("Au programme aujourd'hui"))
            self.events_layout.addWidget(title)
            for event in events[:5]:
                when = self.tr("Toute la journée") if event.all_day else \
                    hhmm(event.start, self.zone)
                where = f" — {event.location}" if event.location else ""
                line = label(center=False)
                line.setText(f"{when}  {event.summary}{where}")
                self.events_layout.addWidget(line)
