"""A member's welcome with the purpose choice, and the goodbye with the time spent."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QVBoxLayout, QWidget

from kiosk.screens import GoodbyeData, Purpose, WelcomeData
from kiosk.views.common import button, clear, label


class WelcomeView(QWidget):
    purpose_chosen = Signal(object, str)  # WelcomeData, purpose id

    def __init__(self, purposes: Sequence[Purpose], language: Callable[[], str]) -> None:
        super().__init__()
        self.purposes, self.language = purposes, language
        self.data: WelcomeData | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        self.hello = label("title")
        self.plan = label("subtitle")
        self.question = label("subtitle")
        layout.addWidget(self.hello)
        layout.addWidget(self.plan)
        layout.addWidget(self.question)
        layout.addSpacing(16)
        self.grid = QGridLayout()
        self.grid.setSpacing(20)
        layout.addLayout(self.grid)
        layout.addStretch(1)
        self.note = label("subtitle")
        layout.addWidget(self.note)
        self.buttons: dict[str, object] = {}
        self.retranslate()

    def show_data(self, data: WelcomeData) -> None:
        self.data = data
        self.retranslate()

    def retranslate(self) -> None:
        data = self.data
        name = data.first_name if data else ""
        self.hello.setText(self.tr("Bonjour %1 !").replace("%1", name))
        plan = data.plan if data else None
        self.plan.setVisible(plan is not None)
        if plan is not None:
            self.plan.setText(
                self.tr("Votre formule : %1").replace(
                    "%1", plan[1] if self.language() == "en" else plan[0]
                )
            )
        clear(self.grid)
        self.buttons = {}
        if data is None:
            return
        if data.confirmed:
            chosen = next((p for p in self.purposes if p.id == data.purpose), None)
            self.question.setText(
                self.tr("C'est noté : %1. Bonne journée !").replace(
                    "%1", chosen.label(self.language()) if chosen else data.purpose
                )
            )
            self.note.setText("")
            return
        self.question.setText(self.tr("Qu'est-ce qui vous amène aujourd'hui ?"))
        self.note.setText(
            self.tr("Votre arrivée est enregistrée. Touchez un choix pour le modifier.")
        )
        for index, purpose in enumerate(self.purposes):
            widget = button(checkable=True)
            widget.setText(purpose.label(self.language()))
            widget.setChecked(purpose.id == data.purpose)
            widget.setMinimumHeight(110)
            widget.clicked.connect(lambda _=False, p=purpose.id: self._choose(p))
            self.grid.addWidget(widget, index // 2, index % 2)
            self.buttons[purpose.id] = widget

    def _choose(self, purpose: str) -> None:
        if self.data is not None and not self.data.confirmed:
            self.purpose_chosen.emit(self.data, purpose)


class GoodbyeView(QWidget):
    def __init__(self) -> None:
        super().__init__()
        self.data: GoodbyeData | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addStretch(1)
        self.bye = label("title")
        self.spent = label("good")
        self.thanks = label("subtitle")
        for widget in (self.bye, self.spent, self.thanks):
            layout.addWidget(widget)
        layout.addStretch(2)
        self.retranslate()

    def show_data(self, data: GoodbyeData) -> None:
        self.data = data
        self.retranslate()

    def retranslate(self) -> None:
        data = self.data
        self.bye.setText(self.tr("Au revoir %1 !").replace("%1", data.first_name if data else ""))
        self.thanks.setText(self.tr("Votre départ est enregistré. À bientôt !"))
        if data is None:
            return
        minutes = max(0, int(data.time_spent.total_seconds() // 60))
        hours, rest = divmod(minutes, 60)
        if hours:
            spent = (
                self.tr("Vous êtes resté·e %1 h %2 min")
                .replace("%1", str(hours))
                .replace("%2", f"{rest:02d}")
            )
        elif minutes <= 1:
            spent = self.tr("Vous êtes resté·e moins de deux minutes")
        else:
            spent = self.tr("Vous êtes resté·e %1 minutes").replace("%1", str(minutes))
        self.spent.setText(spent)
