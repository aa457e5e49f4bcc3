"""Visitor sign-in without a badge (with explicit consent), then the offer of a badge."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from kiosk.screens import EnrolError, Purpose, Unsaved, VisitorBadgeData, VisitorError
from kiosk.views.common import button, label
from station.checkin import SignUpField
from station.communes import OTHER_COMMUNE, Commune


class VisitorView(QWidget):
    # first name, email, commune, purpose, consent, birth year ("": not given)
    submitted = Signal(str, str, str, str, bool, str)
    cancelled = Signal()

    def __init__(
        self,
        purposes: Sequence[Purpose],
        communes: Sequence[Commune],
        retention: tuple[int, int],
        language: Callable[[], str],
        ask_birth_year: bool = False,
    ) -> None:
        super().__init__()
        self.purposes, self.communes, self.language = purposes, communes, language
        self.ask_birth_year = ask_birth_year  # `[signup] ask_birth_year`
        self.movement_days, self.visitor_days = retention
        self.error_field: VisitorError | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 16, 40, 16)
        self.title = label("title")
        self.title.setStyleSheet("font-size: 34px;")
        outer.addWidget(self.title)
        grid = QGridLayout()
        grid.setHorizontalSpacing(32)
        grid.setVerticalSpacing(8)
        outer.addLayout(grid)
        self.first_label, self.email_label, self.commune_label = (
            label(center=False) for _ in range(3)
        )
        self.first_name = QLineEdit()
        self.first_name.setMaxLength(100)
        self.first_name.setInputMethodHints(Qt.InputMethodHint.ImhNoPredictiveText)
        self.email = QLineEdit()
        self.email.setMaxLength(254)
        self.email.setInputMethodHints(Qt.InputMethodHint.ImhEmailCharactersOnly)
        self.commune = QComboBox()
        self.commune.setMaxVisibleItems(10)
        # Long names must not widen the form past a 1280-pixel screen.
        self.commune.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.commune.setMinimumContentsLength(14)
        self.birth_year_label = label(center=False)
        self.birth_year = QLineEdit()
        self.birth_year.setMaxLength(4)  # a year, never a date (data minimisation)
        self.birth_year.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        left = QVBoxLayout()
        fields: list[tuple[QWidget, QWidget]] = [
            (self.first_label, self.first_name),
            (self.email_label, self.email),
            (self.commune_label, self.commune),
        ]
        if ask_birth_year:
            fields.append((self.birth_year_label, self.birth_year))
        for caption, widget in fields:
            left.addWidget(caption)
            left.addWidget(widget)
        left.addStretch(1)
        grid.addLayout(left, 0, 0)
        card = QFrame()
        card.setObjectName("card")
        right = QVBoxLayout(card)
        self.consent_title = label(center=False)
        self.consent_title.setStyleSheet("font-weight: bold;")
        self.consent_text = label(center=False)
        self.consent_text.setStyleSheet("font-size: 18px;")
        right.addWidget(self.consent_title)
        right.addWidget(self.consent_text)
        self.consent = QCheckBox()
        self.consent.setStyleSheet("background: transparent;")
        right.addWidget(self.consent, 0, Qt.AlignmentFlag.AlignLeft)
        grid.addWidget(card, 0, 1)
        grid.setColumnStretch(0, 2)
        grid.setColumnStretch(1, 3)
        self.purpose_label = label(center=False)
        outer.addWidget(self.purpose_label)
        row = QGridLayout()
        row.setSpacing(8)
        self.purpose_group = QButtonGroup(self)
        self.purpose_buttons: dict[str, QPushButton] = {}
        for index, purpose in enumerate(purposes):
            choice = button("small", checkable=True)
            self.purpose_group.addButton(choice)
            self.purpose_buttons[purpose.id] = choice
            row.addWidget(choice, index // 3, index % 3)
        outer.addLayout(row)
        self.error = label("error")
        outer.addWidget(self.error)
        actions = QHBoxLayout()
        self.cancel = button("secondary")
        self.cancel.clicked.connect(self.cancelled)
        self.submit = button()
        self.submit.clicked.connect(self._submit)
        actions.addWidget(self.cancel, 1)
        actions.addSpacing(24)
        actions.addWidget(self.submit, 2)
        outer.addLayout(actions)
        self.retranslate()

    def reset(self) -> None:
        self.first_name.clear()
        self.email.clear()
        self.birth_year.clear()
        self.commune.setCurrentIndex(0)
        self.consent.setChecked(False)
        self.purpose_group.setExclusive(False)
        for choice in self.purpose_buttons.values():
            choice.setChecked(False)
        self.purpose_group.setExclusive(True)
        self.show_error(None)

    def selected_purpose(self) -> str:
        return next((p for p, w in self.purpose_buttons.items() if w.isChecked()), "")

    def _submit(self) -> None:
        self.submitted.emit(
            self.first_name.text(),
            self.email.text(),
            str(self.commune.currentData() or ""),
            self.selected_purpose(),
            self.consent.isChecked(),
            self.birth_year.text() if self.ask_birth_year else "",
        )

    def show_error(self, error: VisitorError | None) -> None:
        self.error_field = error
        messages: dict[VisitorError, str] = {
            SignUpField.CONSENT: self.tr(
                "Cochez la case d'accord pour continuer : sans elle, rien n'est enregistré."
            ),
            SignUpField.FIRST_NAME: self.tr("Indiquez votre prénom."),
            SignUpField.EMAIL: self.tr(
                "Cette adresse e-mail ne semble pas valide (ou laissez-la vide)."
            ),
            SignUpField.COMMUNE: self.tr("Choisissez votre commune dans la liste."),
            SignUpField.PURPOSE: self.tr("Choisissez ce qui vous amène."),
            SignUpField.BIRTH_YEAR: self.tr(
                "Indiquez votre année de naissance en quatre chiffres (par exemple 1987), "
                "ou laissez la case vide."
            ),
            Unsaved.DATABASE: self.tr(
                "Enregistrement impossible pour le moment : réessayez ou adressez-vous à l'accueil."
            ),
        }
        self.error.setText(messages[self.error_field] if self.error_field else "")

    def retranslate(self) -> None:
        self.title.setText(self.tr("Bienvenue ! Présentez-vous en quelques secondes"))
        self.first_label.setText(self.tr("Prénom"))
        self.email_label.setText(self.tr("E-mail (facultatif)"))
        self.commune_label.setText(self.tr("Votre commune"))
        self.birth_year_label.setText(self.tr("Année de naissance (facultatif)"))
        self.purpose_label.setText(self.tr("Ce qui vous amène"))
        current = self.commune.currentData()
        self.commune.clear()
        self.commune.addItem(self.tr("— Choisissez —"), "")
        for commune in self.communes:
            self.commune.addItem(commune.name, commune.insee)
        self.commune.addItem(self.tr("Autre commune (hors du territoire)"), OTHER_COMMUNE)
        self.commune.setCurrentIndex(max(0, self.commune.findData(current)))
        for purpose in self.purposes:
            self.purpose_buttons[purpose.id].setText(purpose.label(self.language()))
        self.consent_title.setText(self.tr("Vos données personnelles"))
        self.consent_text.setText(
            self.tr(
                "Nous enregistrons votre prénom, votre commune, votre e-mail si vous le donnez, "
                "et vos dates de passage. Pourquoi : compter la fréquentation de ce lieu public "
                "et vous reconnaître à la prochaine visite. Qui les voit : l'équipe de la "
                "Station seulement ; rien n'est vendu ni utilisé pour de la publicité. Durée : "
                "vos passages sont effacés après %1 jours, votre fiche après %2 jours sans "
                "visite. Vous pouvez à tout moment consulter, corriger ou faire effacer vos "
                "données à l'accueil (RGPD)."
            )
            .replace("%1", str(self.movement_days))
            .replace("%2", str(self.visitor_days))
            + (self._birth_year_use() if self.ask_birth_year else "")
        )
        self.consent.setText(self.tr("J'accepte cet enregistrement"))
        self.cancel.setText(self.tr("Annuler"))
        self.submit.setText(self.tr("Valider mon arrivée"))
        self.show_error(self.error_field)

    def _birth_year_use(self) -> str:
        return " " + self.tr(
            "Votre année de naissance, si vous la donnez, sert seulement à compter les "
            "publics par tranche d'âge."
        )


class VisitorBadgeView(QWidget):
    done_clicked = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.data: VisitorBadgeData | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addStretch(1)
        self.hello = label("title")
        self.recorded = label("good")
        self.offer = label("subtitle")
        for widget in (self.hello, self.recorded, self.offer):
            layout.addWidget(widget)
            layout.addSpacing(16)
        layout.addStretch(1)
        self.done = button("secondary")
        self.done.clicked.connect(self.done_clicked)
        layout.addWidget(self.done)
        self.retranslate()

    def show_data(self, data: VisitorBadgeData) -> None:
        self.data = data
        self.retranslate()

    def retranslate(self) -> None:
        data = self.data
        self.hello.setText(self.tr("Bienvenue %1 !").replace("%1", data.first_name if data else ""))
        self.done.setText(self.tr("Terminer"))
        if data is not None and data.enrolled:
            self.recorded.setText(self.tr("Votre badge est enregistré"))
            self.offer.setText(
                self.tr(
                    "La prochaine fois, posez-le simplement sur le lecteur "
                    "en arrivant et en partant."
                )
            )
        elif data is not None and data.error is EnrolError.CONFLICT:
            self.recorded.setText(self.tr("Ce badge appartient déjà à quelqu'un"))
            self.offer.setText(
                self.tr("Demandez un autre badge à l'accueil, puis posez-le sur le lecteur.")
            )
        else:
            self.recorded.setText(self.tr("Votre arrivée est enregistrée"))
            self.offer.setText(
                self.tr(
                    "On vous a remis un badge ? Posez-le sur le lecteur "
                    "pour l'associer à votre nom. Sinon, touchez "
                    "« Terminer »."
                )
            )
