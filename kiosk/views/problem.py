"""Badges that cannot check in: expired membership, unknown, revoked, not secure enough
or not read in full; or no database.

Never a dead end: each says what to do and whom to ask, and offers the visitor
sign-in so that nobody is turned away at the door.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QLocale, Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.screens import ProblemData, ProblemKind
from kiosk.views.common import button, label


class ProblemView(QWidget):
    visitor_clicked = Signal()
    done_clicked = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.data: ProblemData | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(48, 32, 48, 32)
        layout.addStretch(1)
        self.headline = label("warn")
        self.explain = label("subtitle")
        self.whom = label("subtitle")
        for widget in (self.headline, self.explain, self.whom):
            layout.addWidget(widget)
            layout.addSpacing(12)
        layout.addStretch(1)
        row = QHBoxLayout()
        self.visitor = button()
        self.visitor.clicked.connect(self.visitor_clicked)
        self.done = button("secondary")
        self.done.clicked.connect(self.done_clicked)
        row.addWidget(self.visitor)
        row.addSpacing(24)
        row.addWidget(self.done)
        layout.addLayout(row)
        self.retranslate()

    @property
    def kind(self) -> ProblemKind | None:
        return self.data.kind if self.data else None

    def show_data(self, data: ProblemData) -> None:
        self.data = data
        self.retranslate()

    def retranslate(self) -> None:
        self.visitor.setText(self.tr("Entrer comme visiteur"))
        self.done.setText(self.tr("Retour"))
        self.whom.setText(
            self.tr(
                "Un membre de l'équipe d'accueil peut vous aider : "
                "il se trouve au comptoir, à droite de l'entrée."
            )
        )
        data = self.data
        kind = data.kind if data else None
        self.visitor.setVisible(kind is not ProblemKind.DATABASE)
        if kind is ProblemKind.EXPIRED:
            assert data is not None
            hello = self.tr("Bonjour %1,").replace("%1", data.first_name)
            self.headline.setText(hello + " " + self.tr("votre adhésion a expiré"))
            if data.membership_ended is not None:
                end = data.membership_ended
                day = QLocale(QLocale.Language.French).toString(
                    QDate(end.year, end.month, end.day), QLocale.FormatType.ShortFormat
                )
                ended = self.tr("Elle a pris fin le %1.").replace("%1", day) + " "
            else:
                ended = ""
            self.explain.setText(
                ended + self.tr("Vous pouvez la renouveler à l'accueil, c'est gratuit et rapide.")
            )
        elif kind is ProblemKind.UNKNOWN:
            self.headline.setText(self.tr("Ce badge n'est pas enregistré"))
            self.explain.setText(
                self.tr(
                    "Il n'est relié à aucun compte. L'accueil peut "
                    "l'associer à votre nom en une minute."
                )
            )
        elif kind is ProblemKind.REVOKED:
            self.headline.setText(self.tr("Ce badge a été désactivé"))
            self.explain.setText(
                self.tr("Il a été déclaré perdu ou rendu. Demandez un nouveau badge à l'accueil.")
            )
        elif kind is ProblemKind.SECURE_REQUIRED:
            self.headline.setText(self.tr("Ce badge ne suffit pas ici"))
            self.explain.setText(
                self.tr(
                    "Il faut un badge sécurisé : présentez le vôtre, ou demandez-en un à l'accueil."
                )
            )
        elif kind is ProblemKind.AUTH_FAILED:
            self.headline.setText(self.tr("Ce badge n'a pas pu être vérifié"))
            self.explain.setText(
                self.tr(
                    "Il n'a pas prouvé qu'il est un badge de ce lieu. "
                    "Demandez à l'accueil de le contrôler."
                )
            )
        elif kind is ProblemKind.BAD_READ:
            self.headline.setText(self.tr("Badge mal lu"))
            self.explain.setText(
                self.tr("Il a quitté le lecteur trop tôt. Reposez-le et gardez-le immobile.")
            )
        elif kind is ProblemKind.DATABASE:
            self.headline.setText(self.tr("Le système d'accueil est momentanément indisponible"))
            self.explain.setText(
                self.tr("Votre passage n'a pas pu être enregistré. Réessayez dans un instant.")
            )
        else:
            self.headline.setText("")
            self.explain.setText("")
