"""The kiosk's state machine: badge taps, touches and timers in; screens out.

It owns no widget: it emits which screen to show with plain data, and problem
codes the views translate. Every timer is a `QTimer` attribute, so tests fire
them directly instead of waiting. Database work runs on `DatabaseWorker`'s
thread and its answers come back here, on the GUI thread, where all the state
lives; staff mode (`StaffMode`) and the visitor without a badge (`VisitorFlow`)
are objects it composes, which reach the screens through it (`ScreenSink`,
`VisitorScreens`). Badges wait in a queue here while one is handled.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field, replace
from typing import Any, assert_never

from PySide6.QtCore import QObject, QTimer, Signal

from kiosk.errors import DatabaseUnavailable
from kiosk.pin_gate import PinGate
from kiosk.screens import (
    GoodbyeData,
    IdleInfo,
    PinPurpose,
    Problem,
    ProblemData,
    ProblemKind,
    Purpose,
    Screen,
    Space,
    WelcomeData,
)
from kiosk.service import KioskService, SignUpForm
from kiosk.staff_mode import CommandSender, StaffMode
from kiosk.visitors import VisitorFlow
from kiosk.worker import Background, DatabaseWorker
from station import calendar
from station.checkin import Outcome, TapResult
from station.credential import Credential, ReadFailure
from station.plans import plan_label
from station.rules import Presented, Reason

log = logging.getLogger(__name__)

DONE_S = 4.0  # a confirmation stays this long before the idle screen comes back
REFRESH_S = 30.0
DB_RETRY_S = 5.0
CALENDAR_S = 900.0

# A card refused as such (`Outcome.REFUSED_CARD`), by the rule's reason.
CARD_PROBLEMS = {
    Reason.SECURE_REQUIRED: ProblemKind.SECURE_REQUIRED,
    Reason.AUTH_FAILED: ProblemKind.AUTH_FAILED,
    Reason.BAD_READ: ProblemKind.BAD_READ,
}


@dataclass
class _State:
    screen: Screen = Screen.IDLE
    language: str = "fr"
    problems: set[Problem] = field(default_factory=set)


class KioskController(QObject):
    screen_changed = Signal(str, object)  # Screen, its data
    idle_info = Signal(object)
    language_changed = Signal(str)
    problems_changed = Signal(object)  # frozenset of Problem
    visitor_error = Signal(object)  # VisitorError
    waiting_changed = Signal(bool)  # "one moment": the database is slow to answer
    quit_requested = Signal()
    _calendar_loaded = Signal(object)
    _bus_state = Signal(bool)
    _command_result = Signal(str, object)

    def __init__(
        self,
        service: KioskService,
        *,
        bus: CommandSender | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service = service
        config = service.config
        kiosk = config.kiosks[service.kiosk_id]
        self.default_language = kiosk.language
        self.purposes = tuple(Purpose(p.id, p.fr, p.en) for p in config.purposes)
        self.spaces = tuple(Space(space_id, s.fr, s.en) for space_id, s in config.spaces.items())
        self.state = _State(language=kiosk.language)
        self.feed = ""  # the calendar feed's text, once fetched
        self._calendar_url = config.resolve_url(kiosk.calendar_url) if kiosk.calendar_url else ""
        self.worker = DatabaseWorker(self)
        self.worker.waiting.connect(self.waiting_changed)
        self.staff = StaffMode(
            service, self.worker, self, timeout_s=kiosk.staff_timeout_s, parent=self
        )
        self.staff.bus = bus
        self.pin = PinGate(service, self.worker, self, parent=self)
        self.visitors = VisitorFlow(service, self.worker, self, parent=self)
        self.visitors.error.connect(self.visitor_error)
        # Badges wait here while one is handled: each is routed (check-in, enrolment,
        # revocation) by the state its predecessor left, as when taps were synchronous.
        # A failed secure read waits as its UID (None if unread) and how it failed.
        self._badges: deque[tuple[Credential | None, Presented | None]] = deque()
        self._badge_busy = False
        self.idle_timer = self._timer(kiosk.idle_timeout_s, self._idle_timeout, single=True)
        self.done_timer = self._timer(min(DONE_S, kiosk.idle_timeout_s), self.go_idle, single=True)
        self.refresh_timer = self._timer(REFRESH_S, self.refresh, single=False)
        self.db_retry_timer = self._timer(DB_RETRY_S, self._retry_database, single=False)
        self.calendar_timer = self._timer(CALENDAR_S, self.load_calendar, single=False)
        self._calendar_loaded.connect(self._set_events)
        self._bus_state.connect(self._on_bus_state)
        self._command_result.connect(self.staff.on_command_result)

    def _timer(self, seconds: float, slot: Any, *, single: bool) -> QTimer:
        timer = QTimer(self)
        timer.setSingleShot(single)
        timer.setInterval(int(seconds * 1000))
        timer.timeout.connect(slot)
        return timer

    # -- life cycle -------------------------------------------------------------------

    @property
    def screen(self) -> Screen:
        return self.state.screen

    @property
    def language(self) -> str:
        return self.state.language

    @property
    def bus(self) -> CommandSender | None:
        return self.staff.bus

    @bus.setter
    def bus(self, bus: CommandSender | None) -> None:
        self.staff.bus = bus

    def start(self) -> None:
        self.refresh_timer.start()
        self.calendar_timer.start()
        self.load_calendar()
        self.refresh()
        self.show(Screen.IDLE, None)

    def stop(self, then: Callable[[], None] | None = None) -> None:
        """Stop the timers and the database thread without waiting for its running
        job; `then()` runs on that thread once the job ends (disposing of the engine)."""
        for timer in (
            self.idle_timer,
            self.staff.timer,
            self.done_timer,
            self.refresh_timer,
            self.db_retry_timer,
            self.calendar_timer,
        ):
            timer.stop()
        self._badges.clear()
        self.worker.close(then)

    def bus_callbacks(self) -> dict[str, Any]:
        """Callbacks for `CommandBus` (called from paho's thread, hence the signals)."""
        return {
            "on_state": self._bus_state.emit,
            "on_result": lambda agent, body: self._command_result.emit(agent, body),
        }

    # -- problems (database, reader, bus) ----------------------------------------------

    def problem(self, problem: Problem, present: bool) -> None:
        before = set(self.state.problems)
        (self.state.problems.add if present else self.state.problems.discard)(problem)
        if before != self.state.problems:
            self.problems_changed.emit(frozenset(self.state.problems))
        if problem is Problem.DATABASE:
            if present and not self.db_retry_timer.isActive():
                self.db_retry_timer.start()
            elif not present:
                self.db_retry_timer.stop()

    def reader_state(self, available: bool, _detail: str) -> None:
        self.problem(Problem.READER, not available)

    def _retry_database(self) -> None:
        self.worker.submit_background(Background.PING, self.service.ping, self._pinged)

    def _pinged(self, future: Future[None]) -> None:
        try:
            future.result()
        except DatabaseUnavailable:
            return
        self.problem(Problem.DATABASE, False)
        self.refresh()

    def _on_bus_state(self, connected: bool) -> None:
        self.problem(Problem.BUS, not connected)
        self.staff.on_bus_state(connected)

    # -- the idle screen --------------------------------------------------------------

    def refresh(self) -> None:
        """Reload what the idle screen shows, and check out everyone after closing."""
        service = self.service

        def read() -> IdleInfo:
            closed = service.auto_check_out()
            if closed:
                log.info("checked out %d people at closing time", closed)
            return IdleInfo(
                service.config.site.name,
                service.hours(),
                service.people_in(),
                (),
                service.occupancy(),
            )

        self.worker.submit_background(Background.REFRESH, read, self._refreshed)

    def _refreshed(self, future: Future[IdleInfo]) -> None:
        events = self._events_today()  # the feed belongs to this thread: read here
        try:
            info = replace(future.result(), events=events)
        except DatabaseUnavailable:
            self.problem(Problem.DATABASE, True)
            info = IdleInfo(self.service.config.site.name, events=events)
        else:
            self.problem(Problem.DATABASE, False)
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
        self.staff.activity()  # staff mode's own, if open (also under the PIN pad to quit)
        if self.state.screen not in (Screen.IDLE, Screen.STAFF) and not self.done_timer.isActive():
            self.idle_timer.start()

    def _idle_timeout(self) -> None:
        if self.state.screen not in (Screen.IDLE, Screen.STAFF):
            self.go_idle()

    def go_idle(self) -> None:
        self.visitors.reset()
        self.staff.reset()
        self.pin.reset()
        self.done_timer.stop()
        self.idle_timer.stop()
        if self.state.language != self.default_language:  # the next person starts in French
            self.set_language(self.default_language)
        self.refresh()
        self.show(Screen.IDLE, None)

    def leave(self) -> None:
        """Staff mode is over (`ScreenSink`)."""
        self.go_idle()

    def set_language(self, language: str) -> None:
        if language not in ("fr", "en") or language == self.state.language:
            return
        self.state.language = language
        self.language_changed.emit(language)
        self.activity()

    def toggle_language(self) -> None:
        self.set_language("en" if self.state.language == "fr" else "fr")

    def show(self, screen: Screen, data: object) -> None:
        if screen is Screen.STAFF and self.pin.asking:
            return  # staff mode's news wait under the PIN pad; `staff.show()` brings them
        self.state.screen = screen
        if screen not in (Screen.IDLE, Screen.STAFF):
            self.idle_timer.start()
        self.screen_changed.emit(screen, data)

    def _plan_names(self, code: str) -> tuple[str, str] | None:
        """The plan's names for the welcome screen; None when the site has no plans."""
        config = self.service.config
        if not code or not config.plans:
            return None
        return plan_label(config, code, "fr"), plan_label(config, code, "en")

    def confirm(self, screen: Screen, data: object) -> None:
        """Show a confirmation, then the idle screen after a moment."""
        self.show(screen, data)
        self.idle_timer.stop()
        self.done_timer.start()

    def _database_down(self) -> None:
        self.problem(Problem.DATABASE, True)
        self.show(Screen.PROBLEM, ProblemData(ProblemKind.DATABASE))

    # -- badges -----------------------------------------------------------------------

    def handle_badge(self, credential: Credential, _at: float = 0.0) -> None:
        self._badges.append((credential, None))
        if not self._badge_busy:
            self._next_badge()

    def handle_bad_read(self, failure: ReadFailure, uid: Credential | None) -> None:
        """A secure read failed: tapped as its UID if the reader got one (the check-in
        rule then says whether that may pass), else refused with the read's reason."""
        self._badges.append((uid, Presented.failed(failure)))
        if not self._badge_busy:
            self._next_badge()

    def _next_badge(self) -> None:
        if not self._badges:
            return
        credential, presented = self._badges.popleft()
        self._badge_busy = True
        if presented is not None:
            self._failed_read(credential, presented)
            return
        assert credential is not None  # only a failed read may come without one
        if self.visitors.wants_badge:
            self.visitors.handle_badge(credential, then=self._badge_handled)
        elif self.staff.wants_badge and self.state.screen is Screen.STAFF:
            self.staff.handle_badge(credential, then=self._badge_handled)
        else:
            self.worker.submit(lambda: self.service.tap(credential), self._tapped)

    def _failed_read(self, uid: Credential | None, presented: Presented) -> None:
        """Enrolment and the visitor's badge take only a card read in full: a failed read
        there is ignored (the reader's light said so); elsewhere it is a tap."""
        giving = self.visitors.wants_badge or (
            self.staff.wants_badge and self.state.screen is Screen.STAFF
        )
        if giving:
            log.info("kiosk: a failed read (%s) is not a badge to give", presented.failure)
            self._badge_handled()
        elif uid is None:
            self.staff.reset()
            self.pin.reset()
            self.show(Screen.PROBLEM, ProblemData(CARD_PROBLEMS[presented.refusal().reason]))
            self._badge_handled()
        else:
            self.worker.submit(lambda: self.service.tap(uid, presented), self._tapped)

    def _badge_handled(self) -> None:
        self._badge_busy = False
        self._next_badge()

    def _tapped(self, future: Future[TapResult]) -> None:
        try:
            self._show_tap(future)
        finally:
            self._badge_handled()

    def _show_tap(self, future: Future[TapResult]) -> None:
        self.done_timer.stop()
        self.staff.reset()
        self.pin.reset()
        try:
            result = future.result()
        except DatabaseUnavailable:
            self._database_down()
            return
        self.problem(Problem.DATABASE, False)
        match result.outcome:
            case Outcome.WELCOME:
                assert result.visit_id is not None and result.purpose is not None
                self.show(
                    Screen.WELCOME,
                    WelcomeData(
                        result.first_name,
                        result.purpose,
                        result.visit_id,
                        plan=self._plan_names(result.plan),
                    ),
                )
            case Outcome.CHECKED_OUT:
                spent = result.time_spent or dt.timedelta()
                self.confirm(Screen.GOODBYE, GoodbyeData(result.first_name, spent))
            case Outcome.STAFF:  # a badge alone opens nothing: its PIN first
                self._ask_pin_for_staff_mode(result.first_name, result.member_id)
            case Outcome.EXPIRED:
                self._refused(result, ProblemKind.EXPIRED)
            case Outcome.UNKNOWN:
                self._refused(result, ProblemKind.UNKNOWN)
            case Outcome.REVOKED:
                self._refused(result, ProblemKind.REVOKED)
            case Outcome.REFUSED_CARD:
                assert result.reason is not None
                self._refused(result, CARD_PROBLEMS[result.reason])
            case _:  # mypy checks that every outcome is handled above
                assert_never(result.outcome)

    def _refused(self, result: TapResult, kind: ProblemKind) -> None:
        self.show(Screen.PROBLEM, ProblemData(kind, result.first_name, result.membership_ended))

    def _ask_pin_for_staff_mode(self, name: str, member_id: uuid.UUID | None) -> None:
        def granted() -> None:
            self.idle_timer.stop()
            self.staff.open(name, member_id)

        self.pin.ask(
            PinPurpose.STAFF_MODE, name, member_id, granted=granted, cancelled=self.go_idle
        )

    def choose_purpose(self, data: WelcomeData, purpose: str) -> None:
        def chosen(future: Future[None]) -> None:
            try:
                future.result()
            except DatabaseUnavailable:
                self._database_down()
                return
            self.confirm(Screen.WELCOME, replace(data, purpose=purpose, confirmed=True))

        self.worker.submit(lambda: self.service.choose_purpose(data.visit_id, purpose), chosen)

    # -- visitors ---------------------------------------------------------------------

    def begin_visitor(self) -> None:
        self.staff.reset()
        self.show(Screen.VISITOR, None)

    def submit_visitor(
        self,
        first_name: str,
        email: str,
        commune: str,
        purpose: str,
        consent: bool,
        birth_year: str = "",
    ) -> None:
        self.visitors.sign_up(SignUpForm(first_name, email, commune, purpose, consent, birth_year))

    def request_quit(self) -> None:
        """Only staff mode offers this, and only with the PIN of whoever opened it:
        the public cannot leave the kiosk, nor can someone who finds staff mode open."""
        data = self.staff.data
        if data is None:
            return
        self.pin.ask(
            PinPurpose.QUIT,
            data.staff_name,
            self.staff.member_id,
            granted=self.quit_requested.emit,
            cancelled=self.staff.show,
        )
