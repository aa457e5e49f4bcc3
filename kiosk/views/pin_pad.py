"""The staff PIN pad: big digits, erase, cancel, OK; what is typed shows as dots.

The digits typed live in this widget until OK hands them over (`entered`), then
are forgotten; they are never shown, put in the screen's data nor logged. Only
the on-screen buttons type: a keyboard-wedge badge reader types too, and its
digits must not land in a PIN.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from kiosk.screens import PinPadData, PinPurpose
from kiosk.views.common import button, hhmm, label
from station.staff_pin import MAX_DIGITS, MIN_DIGITS, PinOutcome

DOT = "●"
_KEYS = ("1", "2", "3", "4", "5", "6", "7", "8", "9")


class PinPadView(QWidget):
    entered = Signal(str)  # the PIN, on OK
    cancelled = Signal()

    def __init__(self, zone: dt.tzinfo) -> None:
        super().__init__()
        self.zone = zone
        self.data: PinPadData | None = None
        self._typed = ""
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 8, 48, 8)
        self.title = label("subtitle")
        self.dots = label("title")
        self.message = label("error")  # up to three lines (no PIN): the pad must fit 800 px
        for widget in (self.title, self.dots, self.message):
            layout.addWidget(widget)
        grid = QGridLayout()
        grid.setSpacing(6)
        self.digits: dict[str, QPushButton] = {}
        for index, key in enumerate((*_KEYS, "0")):
            row, column = (index // 3, index % 3) if key != "0" else (3, 1)
            grid.addWidget(self._key(key), row, column)
        self.erase = self._key("", "secondary")
        self.erase.clicked.connect(self._erase)
        self.ok = self._key("")
        self.ok.clicked.connect(self._ok)
        grid.addWidget(self.erase, 3, 0)
        grid.addWidget(self.ok, 3, 2)
        pad = QHBoxLayout()
        pad.addStretch(1)
        pad.addLayout(grid, 2)
        pad.addStretch(1)
        layout.addLayout(pad, 1)
        self.cancel = button("secondary")
        self.cancel.clicked.connect(self._cancel)
        layout.addWidget(self.cancel)
        self.retranslate()

    def _key(self, key: str, name: str = "") -> QPushButton:
        widget = button(name)
        widget.setMinimumHeight(60)  # 4 rows, a message and cancel fit in 800 px
        if key:
            widget.setText(key)
            widget.clicked.connect(lambda _=False, k=key: self.press(k))
            self.digits[key] = widget
        return widget

    @property
    def typed(self) -> int:
        """How many digits are typed (what the dots show)."""
        return len(self._typed)

    def show_data(self, data: PinPadData) -> None:
        self.data = data
        self._typed = ""  # a new question, or the answer to the last PIN: type afresh
        self.retranslate()

    def press(self, digit: str) -> None:
        if len(self._typed) < MAX_DIGITS and not (self.data and self.data.final):
            self._typed += digit
            self._refresh()

    def _erase(self) -> None:
        self._typed = self._typed[:-1]
        self._refresh()

    def _ok(self) -> None:
        if len(self._typed) >= MIN_DIGITS:
            pin, self._typed = self._typed, ""
            self._refresh()
            self.entered.emit(pin)

    def _cancel(self) -> None:
        self._typed = ""
        self._refresh()
        self.cancelled.emit()

    def _refresh(self) -> None:
        final = bool(self.data and self.data.final)
        self.dots.setText(" ".join(DOT * len(self._typed)) or " ")
        for widget in self.digits.values():
            widget.setEnabled(not final)
        self.erase.setEnabled(not final and bool(self._typed))
        self.ok.setEnabled(not final and len(self._typed) >= MIN_DIGITS)

    def retranslate(self) -> None:
        data = self.data
        name = data.staff_name if data else ""
        if data is not None and data.purpose is PinPurpose.QUIT:
            title = self.tr("%1, votre code PIN pour quitter la borne")
        else:
            title = self.tr("%1, votre code PIN pour le mode équipe")
        self.title.setText(title.replace("%1", name))
        self.erase.setText(self.tr("Effacer"))
        self.ok.setText(self.tr("Valider"))
        self.cancel.setText(self.tr("Retour") if data and data.final else self.tr("Annuler"))
        self.message.setText(self._message(data))
        self._refresh()

    def _message(self, data: PinPadData | None) -> str:
        if data is None:
            return ""
        if data.database:
            return self.tr("Code non vérifié : base de données indisponible. Réessayez.")
        match data.outcome:
            case PinOutcome.WRONG:
                if data.tries_left == 1:
                    return self.tr("Code incorrect. Dernier essai avant le blocage.")
                return self.tr("Code incorrect. Encore %1 essais avant le blocage.").replace(
                    "%1", str(data.tries_left)
                )
            case PinOutcome.LOCKED:
                until = hhmm(data.locked_until, self.zone) if data.locked_until else "?"
                return self.tr(
                    "Trop de codes incorrects : le mode équipe est bloqué jusqu'à %1."
                ).replace("%1", until)
            case PinOutcome.NO_PIN:
                return self.tr(
                    "Aucun code PIN n'est défini pour vous : il se définit avec "
                    "« station member pin » au registre. Le badge seul n'ouvre pas "
                    "le mode équipe."
                )
            case PinOutcome.NOT_STAFF:
                return self.tr("Ce badge n'ouvre pas le mode équipe.")
            case _:  # nothing typed yet (an accepted PIN leaves the pad)
                return ""
