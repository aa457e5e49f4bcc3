"""The kiosk's window: a header, a problem banner and one screen at a time.

It routes the controller's signals to the views and the views' signals to the
controller; it holds no state of its own beyond which screen is showing.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QCursor
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.controller import KioskController
from kiosk.i18n import Translations
from kiosk.screens import Problem, Screen
from kiosk.theme import STYLE
from kiosk.views.common import button, label
from kiosk.views.idle import IdleView
from kiosk.views.pin_pad import PinPadView
from kiosk.views.problem import ProblemView
from kiosk.views.staff import StaffView
from kiosk.views.visitor import VisitorBadgeView, VisitorView
from kiosk.views.welcome import GoodbyeView, WelcomeView
from station.communes import load_communes

_ACTIVITY = {
    QEvent.Type.MouseButtonPress,
    QEvent.Type.TouchBegin,
    QEvent.Type.KeyPress,
    QEvent.Type.Wheel,
}


class KioskWindow(QWidget):
    def __init__(
        self,
        controller: KioskController,
        translations: Translations,
        *,
        fullscreen: bool = False,
        hide_cursor: bool = False,
    ) -> None:
        super().__init__()
        self.controller = controller
        self.translations = translations
        self.allow_close = not fullscreen
        service = controller.service
        config = service.config
        zone = service.desk.zone
        self.setStyleSheet(STYLE)
        self.setWindowTitle(config.site.name)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        header = QFrame()
        header.setObjectName("header")
        row = QHBoxLayout(header)
        row.setContentsMargins(24, 8, 24, 8)
        self.site = label(center=False)
        self.site.setText(config.site.name)
        self.language_button = button("secondary")
        self.language_button.setMaximumWidth(260)
        self.language_button.clicked.connect(controller.toggle_language)
        row.addWidget(self.site, 1)
        row.addWidget(self.language_button)
        layout.addWidget(header)
        self.banner = label("banner")
        self.banner.hide()
        layout.addWidget(self.banner)
        self.waiting = label("waiting")
        self.waiting.hide()
        layout.addWidget(self.waiting)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack, 1)

        def language() -> str:
            return controller.language

        retention = (config.retention.movement_days, config.retention.visitor_days)
        self.idle = IdleView(zone, service.clock, language, controller.spaces)
        self.welcome = WelcomeView(controller.purposes, language)
        self.goodbye = GoodbyeView()
        self.problem = ProblemView()
        self.visitor = VisitorView(
            controller.purposes,
            load_communes(),
            retention,
            language,
            ask_birth_year=config.signup.ask_birth_year,
        )
        self.visitor_badge = VisitorBadgeView()
        self.pin_pad = PinPadView(zone)
        self.staff = StaffView(zone, controller.purposes, language, controller.spaces)
        self.views: dict[Screen, QWidget] = {
            Screen.IDLE: self.idle,
            Screen.WELCOME: self.welcome,
            Screen.GOODBYE: self.goodbye,
            Screen.PROBLEM: self.problem,
            Screen.VISITOR: self.visitor,
            Screen.VISITOR_BADGE: self.visitor_badge,
            Screen.STAFF_PIN: self.pin_pad,
            Screen.STAFF: self.staff,
        }
        for view in self.views.values():
            self.stack.addWidget(view)
        self._connect()
        self._problems: frozenset[Problem] = frozenset()
        self.retranslate()
        if hide_cursor:
            QApplication.setOverrideCursor(QCursor(Qt.CursorShape.BlankCursor))
        if fullscreen:
            self.setWindowFlags(
                Qt.WindowType.FramelessWindowHint | Qt.WindowType.WindowStaysOnTopHint
            )
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def _connect(self) -> None:
        ctl = self.controller
        ctl.screen_changed.connect(self.show_screen)
        ctl.idle_info.connect(self.idle.set_info)
        ctl.language_changed.connect(self.set_language)
        ctl.problems_changed.connect(self.show_problems)
        ctl.visitor_error.connect(self.visitor.show_error)
        ctl.waiting_changed.connect(self.show_waiting)
        ctl.quit_requested.connect(self._quit)
        self.idle.visitor_clicked.connect(ctl.begin_visitor)
        self.problem.visitor_clicked.connect(ctl.begin_visitor)
        self.problem.done_clicked.connect(ctl.go_idle)
        self.welcome.purpose_chosen.connect(ctl.choose_purpose)
        self.visitor.submitted.connect(ctl.submit_visitor)
        self.visitor.cancelled.connect(ctl.go_idle)
        self.visitor_badge.done_clicked.connect(ctl.go_idle)
        self.pin_pad.entered.connect(ctl.pin.submit)
        self.pin_pad.cancelled.connect(ctl.pin.cancel)
        staff = ctl.staff
        self.staff.close_clicked.connect(staff.close)
        self.staff.quit_clicked.connect(ctl.request_quit)
        self.staff.refresh_clicked.connect(staff.refresh)
        self.staff.check_out.connect(staff.check_out)
        self.staff.command.connect(staff.command)
        self.staff.search.connect(staff.search)
        self.staff.enrol.connect(staff.begin_enrol)
        self.staff.revoke.connect(staff.begin_revoke)
        self.staff.cancel_pending.connect(staff.cancel_pending)

    @property
    def current(self) -> QWidget | None:
        return self.stack.currentWidget()

    def show_screen(self, screen: str, data: object) -> None:
        view = self.views[Screen(screen)]
        if screen == Screen.VISITOR:
            self.visitor.reset()
        elif data is not None:
            view.show_data(data)  # type: ignore[attr-defined]
        self.stack.setCurrentWidget(view)
        self.show_problems(self._problems)  # the bus banner is for staff mode only

    def set_language(self, language: str) -> None:
        self.translations.set_language(language)
        self.retranslate()

    def retranslate(self) -> None:
        # Called at once rather than on LanguageChange events, which Qt delivers later.
        self.language_button.setText(self.tr("English"))
        self.waiting.setText(self.tr("Un instant…"))
        for view in self.views.values():
            view.retranslate()  # type: ignore[attr-defined]
        self.show_problems(self._problems)

    def show_waiting(self, waiting: bool) -> None:
        """The database is slow to answer: say so, and take no touch meanwhile."""
        self.waiting.setVisible(waiting)
        self.stack.setEnabled(not waiting)

    def show_problems(self, problems: frozenset[Problem]) -> None:
        self._problems = problems
        texts = {
            Problem.DATABASE: self.tr(
                "Base de données indisponible : les passages ne sont "
                "pas enregistrés. Nouvel essai automatique…"
            ),
            Problem.READER: self.tr(
                "Lecteur de badges indisponible : nouvel essai "
                "automatique… Adressez-vous à l'accueil."
            ),
            Problem.BUS: self.tr("Réseau des portes et machines indisponible."),
        }
        # The bus only matters to staff: the public is not alarmed by it.
        shown = [
            texts[p]
            for p in Problem
            if p in problems and (p is not Problem.BUS or self.controller.screen is Screen.STAFF)
        ]
        self.banner.setText("\n".join(shown))
        self.banner.setVisible(bool(shown))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY:
            self.controller.activity()
        return False

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.allow_close:
            event.accept()
        else:
            event.ignore()  # full screen kiosk: only staff mode's "quit" closes it

    def _quit(self) -> None:
        self.allow_close = True
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()
