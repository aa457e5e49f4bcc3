"""The kiosk's state machine: badge taps, touches and timers in; screens out.

It owns no widget: it emits which screen to show with plain data, and problem
codes the views translate. Every timer is a `QTimer` attribute, so tests fire
them directly instead of waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from dataclasses import dataclass, field, replace
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.bus import CommandBus
from kiosk.errors import DatabaseUnavailable
from kiosk.screens import (
    GOODBYE,
    IDLE,
    PROBLEM,
    STAFF,
    VISITOR,
    VISITOR_BADGE,
    WELCOME,
    GoodbyeData,
    IdleInfo,
    ProblemData,
    Purpose,
    Space,
    StaffData,
    VisitorBadgeData,
    WelcomeData,
)
from kiosk.service import KioskService
from kiosk.staff_mode import StaffMode
from station import calendar
from station.checkin import Outcome, SignUpError
from station.credential import Credential
from station.errors import Conflict, NotFound
from station.plans import plan_label

log = logging.getLogger(__name__)

DONE_S = 4.0  # a confirmation stays this long before the idle screen comes back
REFRESH_S = 30.0
DB_RETRY_S = 5.0
CALENDAR_S = 900.0


@dataclass
class _State:
    screen: str = IDLE
    language: str = "fr"
    staff: StaffData | None = None
    enrol_for: uuid.UUID | None = None
    revoke_next: bool = False
    problems: set[str] = field(default_factory=set)


class KioskController(StaffMode, QObject):
    screen_changed = Signal(str, object)
    idle_info = Signal(object)
    language_changed = Signal(str)
    problems_changed = Signal(object)  # frozenset of codes: database, reader, bus
    visitor_error = Signal(str)  # field: consent, first_name, email, commune, purpose, database
    search_results = Signal(object)
    quit_requested = Signal()
    _calendar_loaded = Signal(object)
    _bus_state = Signal(bool)
    _command_result = Signal(str, object)

    def __init__(
        self, service: KioskService, *, bus: CommandBus | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.service = service
        self.bus = bus
        config = service.config
        kiosk = config.kiosks[service.kiosk_id]
        self.default_language = kiosk.language
        self.purposes = tuple(Purpose(p.id, p.fr, p.en) for p in config.purposes)
        self.spaces = tuple(Space(space_id, s.fr, s.en) for space_id, s in config.spaces.items())
        self.state = _State(language=kiosk.language)
        self.feed = ""  # the calendar feed's text, once fetched
        self._calendar_url = config.resolve_url(kiosk.calendar_url) if kiosk.calendar_url else ""
        self.idle_timer = self._timer(kiosk.idle_timeout_s, self._idle_timeout, single=True)
        self.staff_timer = self._timer(kiosk.staff_timeout_s, self.close_staff, single=True)
        self.done_timer = self._timer(min(DONE_S, kiosk.idle_timeout_s), self.go_idle, single=True)
        self.refresh_timer = self._timer(REFRESH_S, self.refresh, single=False)
        self.db_retry_timer = self._timer(DB_RETRY_S, self._retry_database, single=False)
        self.calendar_timer = self._timer(CALENDAR_S, self.load_calendar, single=False)
        self._calendar_loaded.connect(self._set_events)
        self._bus_state.connect(self._on_bus_state)
        self._command_result.connect(self._on_command_result)

    def _timer(self, seconds: float, slot: Any, *, single: bool) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single)
        timer.setInterval(int(seconds * 1000))
        timer.timeout.connect(slot)
        return timer

    # -- life cycle -------------------------------------------------------------------

    @property
    def screen(self) -> str:
        return self.state.screen

    @property
    def language(self) -> str:
        return self.state.language

    def start(self) -> None:
        self.refresh_timer.start()
        self.calendar_timer.start()
        self.load_calendar()
        self.refresh()
        self._show(IDLE, None)

    def stop(self) -> None:
        for timer in (
            self.idle_timer,
            self.staff_timer,
            self.done_timer,
            self.refresh_timer,
            self.db_retry_timer,
            self.calendar_timer,
        ):
            timer.stop()

    def bus_callbacks(self) -> dict[str, Any]:
        """Callbacks for `CommandBus` (called from paho's thread, hence the signals)."""
        return {
            "on_state": self._bus_state.emit,
            "on_result": lambda agent, body: self._command_result.emit(agent, body),
        }

    # -- problems (database, reader, bus) ----------------------------------------------

    def _problem(self, code: str, present: bool) -> None:
        before = set(self.state.problems)
        (self.state.problems.add if present else self.state.problems.discard)(code)
        if before != self.state.problems:
            self.problems_changed.emit(frozenset(self.state.problems))
        if code == "database":
            if present and not self.db_retry_timer.isActive():
                self.db_retry_timer.start()
            elif not present:
                self.db_retry_timer.stop()

    def reader_state(self, available: bool, _detail: str) -> None:
        self._problem("reader", not available)

    def _retry_database(self) -> None:
        try:
            self.service.ping()
        except DatabaseUnavailable:
            return
        self._problem("database", False)
        self.refresh()

    def _on_bus_state(self, connected: bool) -> None:
        self._problem("bus", not connected)
        if self.state.staff is not None:
            self._update_staff(bus_connected=connected)

    # -- the idle screen --------------------------------------------------------------

    def refresh(self) -> None:
        """Reload what the idle screen shows, and check out everyone after closing."""
        try:
            closed = self.service.auto_check_out()
            if closed:
                log.info("checked out %d people at closing time", closed)
            info = IdleInfo(
                self.service.config.site.name,
                self.service.hours(),
                self.service.people_in(),
                self._events_today(),
                self.service.occupancy(),
            )
        except DatabaseUnavailable:
            self._problem("database", True)
            info = IdleInfo(self.service.config.site.name, events=self._events_today())
        else:
            self._problem("database", False)
        self.idle_info.emit(info)

    def load_calendar(self) -> None:
        if not self._calendar_url:
            return
        url = self._calendar_url

        def fetch() -> None:
            try:
                self._calendar_loaded.emit(calendar.fetch(url))
            except calendar.CalendarError as exc:
                log.warning("%s", exc)

        threading.Thread(target=fetch, name="kiosk-calendar", daemon=True).start()

    def _set_events(self, feed: str) -> None:
        self.feed = feed
        self.refresh()

    def _events_today(self) -> tuple[calendar.Event, ...]:
        feed = self.feed
        if not feed:
            return ()
        config = self.service.config
        today = self.service.clock().astimezone(self.service.desk.zone).date()
        return tuple(calendar.events_on(feed, today, config.site.timezone))

    # -- touches and timeouts ---------------------------------------------------------

    def activity(self) -> None:
        """Someone touched the screen: postpone the timeouts."""
        if self.state.screen == STAFF:
            self.staff_timer.start()
        elif self.state.screen != IDLE and not self.done_timer.isActive():
            self.idle_timer.start()

    def _idle_timeout(self) -> None:
        if self.state.screen not in (IDLE, STAFF):
            self.go_idle()

    def go_idle(self) -> None:
        self.state.enrol_for = None
        self.state.revoke_next = False
        self.state.staff = None
        self.staff_timer.stop()
        self.done_timer.stop()
        self.idle_timer.stop()
        if self.state.language != self.default_language:  # the next person starts in French
            self.set_language(self.default_language)
        self.refresh()
        self._show(IDLE, None)

    def set_language(self, language: str) -> None:
        if language not in ("fr", "en") or language == self.state.language:
            return
        self.state.language = language
        self.language_changed.emit(language)
        self.activity()

    def toggle_language(self) -> None:
        self.set_language("en" if self.state.language == "fr" else "fr")

    def _show(self, screen: str, data: object) -> None:
        self.state.screen = screen
        if screen not in (IDLE, STAFF):
            self.idle_timer.start()
        self.screen_changed.emit(screen, data)

    def _plan_names(self, code: str) -> tuple[str, str] | None:
        """The plan's names for the welcome screen; None when the site has no plans."""
        config = self.service.config
        if not code or not config.plans:
            return None
        return plan_label(config, code, "fr"), plan_label(config, code, "en")

    def _done(self, screen: str, data: object) -> None:
        """Show a confirmation, then the idle screen after a moment."""
        self._show(screen, data)
        self.idle_timer.stop()
        self.done_timer.start()

    # -- badges -----------------------------------------------------------------------

    def handle_badge(self, credential: Credential, _at: float = 0.0) -> None:
        if self.state.enrol_for is not None:
            self._enrol(credential)
        elif self.state.revoke_next:
            self._revoke(credential)
        else:
            self._tap(credential)

    def _tap(self, credential: Credential) -> None:
        self.done_timer.stop()
        self.state.staff = None
        self.staff_timer.stop()
        try:
            result = self.service.tap(credential)
        except DatabaseUnavailable:
            self._problem("database", True)
            self._show(PROBLEM, ProblemData("database"))
            return
        self._problem("database", False)
        if result.outcome is Outcome.WELCOME:
            assert result.visit_id is not None and result.purpose is not None
            self._show(
                WELCOME,
                WelcomeData(
                    result.first_name,
                    result.purpose,
                    result.visit_id,
                    plan=self._plan_names(result.plan),
                ),
            )
        elif result.outcome is Outcome.CHECKED_OUT:
            self._done(GOODBYE, GoodbyeData(result.first_name, result.time_spent or dt.timedelta()))
        elif result.outcome is Outcome.STAFF:
            self._open_staff(result.first_name)
        else:
            self._show(
                PROBLEM,
                ProblemData(result.outcome.value, result.first_name, result.membership_ended),
            )

    def choose_purpose(self, data: WelcomeData, purpose: str) -> None:
        try:
            self.service.choose_purpose(data.visit_id, purpose)
        except DatabaseUnavailable:
            self._problem("database", True)
            self._show(PROBLEM, ProblemData("database"))
            return
        self._done(WELCOME, replace(data, purpose=purpose, confirmed=True))

    # -- visitors ---------------------------------------------------------------------

    def begin_visitor(self) -> None:
        self.state.staff = None
        self._show(VISITOR, None)

    def submit_visitor(
        self, first_name: str, email: str, commune: str, purpose: str, consent: bool
    ) -> None:
        try:
            signed = self.service.sign_up(first_name, email, commune, purpose, consent)
        except SignUpError as exc:
            self.visitor_error.emit(exc.field)
            return
        except NotFound:
            self.visitor_error.emit("purpose")
            return
        except DatabaseUnavailable:
            self._problem("database", True)
            self.visitor_error.emit("database")
            return
        self.state.enrol_for = signed.member_id
        self._show(VISITOR_BADGE, VisitorBadgeData(signed.first_name, signed.member_id))

    def _enrol(self, credential: Credential) -> None:
        member_id = self.state.enrol_for
        assert member_id is not None
        error = ""
        try:
            name = self.service.enrol(member_id, credential)
        except Conflict as exc:
            error, name = "conflict", str(exc)
        except (NotFound, DatabaseUnavailable) as exc:
            error, name = "database", str(exc)
        # A refused badge leaves the wait open: another badge may be tapped.
        self.state.enrol_for = member_id if error else None
        if self.state.staff is not None:
            self._update_staff(
                pending="enrol" if error else "", notice=error or "enrolled", notice_detail=name
            )
            return
        data = VisitorBadgeData("" if error else name, member_id, enrolled=not error, error=error)
        if error:
            self._show(VISITOR_BADGE, data)
        else:
            self._done(VISITOR_BADGE, data)

    def request_quit(self) -> None:
        """Only staff mode offers this: the public cannot leave the kiosk."""
        if self.state.staff is not None:
            self.quit_requested.emit()
