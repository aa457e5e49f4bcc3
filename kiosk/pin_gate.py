"""The staff PIN, asked on the PIN pad before staff mode opens or the kiosk quits.

A staff badge is a UID a cheap card copies: alone it opens nothing. An object of
its own, composed by `KioskController`: it asks the database (through `Jobs`, never
on the GUI thread) what would refuse the member whatever they type, shows the pad,
checks the PIN typed and, only once accepted, runs what it was asked for. The PIN
goes from the pad to the database thread and nowhere else: neither kept here nor
logged. Every answer is checked against the question it belongs to, so an answer
that comes back after the pad was left (timeout, another badge) does nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Protocol

from PySide6.QtCore import QObject

from kiosk.errors import DatabaseUnavailable
from kiosk.screens import PinPadData, PinPurpose, Problem, Screen
from kiosk.service import KioskService
from kiosk.worker import Jobs
from station.staff_pin import MAX_FAILURES, PinCheck, PinOutcome


class PinScreens(Protocol):
    """What the PIN gate asks of whoever shows the screens (the controller)."""

    def show(self, screen: Screen, data: object) -> None: ...

    def leave(self) -> None:
        """Back to the idle screen."""

    def problem(self, problem: Problem, present: bool) -> None: ...


@dataclass(eq=False)  # compared by identity: each question is its own
class _Question:
    member_id: uuid.UUID
    granted: Callable[[], None]  # the PIN is right: open staff mode, quit
    cancelled: Callable[[], None]  # "cancel" while a PIN may still help
    pad: PinPadData


class PinGate(QObject):
    def __init__(
        self,
        service: KioskService,
        jobs: Jobs,
        screens: PinScreens,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.jobs, self.screens = service, jobs, screens
        self._question: _Question | None = None

    @property
    def asking(self) -> bool:
        return self._question is not None

    @property
    def data(self) -> PinPadData | None:
        return self._question.pad if self._question else None

    def ask(
        self,
        purpose: PinPurpose,
        name: str,
        member_id: uuid.UUID | None,
        *,
        granted: Callable[[], None],
        cancelled: Callable[[], None],
    ) -> None:
        """Show the pad for `member_id`'s PIN; `granted()` once it is right."""
        pad = PinPadData(name, purpose)
        if member_id is None:  # a staff tap always names its member: nothing to check
            self._question = None
            self.screens.show(Screen.STAFF_PIN, replace(pad, outcome=PinOutcome.NOT_STAFF))
            return
        question = self._question = _Question(member_id, granted, cancelled, pad)
        self.jobs.submit(
            lambda: self.service.pin_refusal(member_id),
            lambda future: self._before_pad(question, future),
        )

    def submit(self, pin: str) -> None:
        """The pad's OK: check `pin` (counted if wrong)."""
        question = self._question
        if question is None or question.pad.final:
            return
        member_id = question.member_id
        self.jobs.submit(
            lambda: self.service.check_pin(member_id, pin),
            lambda future: self._checked(question, future),
        )

    def cancel(self) -> None:
        """The pad's cancel (or back, when no PIN can help: then to the idle screen)."""
        question, self._question = self._question, None
        if question is None or question.pad.final:
            self.screens.leave()
        else:
            question.cancelled()

    def reset(self) -> None:
        """Forget the question (the kiosk goes idle, another badge is tapped)."""
        self._question = None

    def _before_pad(self, question: _Question, future: Future[PinCheck | None]) -> None:
        if question is not self._question:
            return
        try:
            refused = future.result()
        except DatabaseUnavailable:
            self._database_down(question)
            return
        self.screens.problem(Problem.DATABASE, False)
        self._show(question, question.pad if refused is None else self._refused(question, refused))

    def _checked(self, question: _Question, future: Future[PinCheck]) -> None:
        if question is not self._question:
            return
        try:
            check = future.result()
        except DatabaseUnavailable:
            self._database_down(question)
            return
        self.screens.problem(Problem.DATABASE, False)
        if check.accepted:
            self._question = None
            question.granted()
        else:
            self._show(question, self._refused(question, check))

    @staticmethod
    def _refused(question: _Question, check: PinCheck) -> PinPadData:
        wrong = check.outcome is PinOutcome.WRONG
        return replace(
            question.pad,
            outcome=check.outcome,
            tries_left=MAX_FAILURES - check.failures if wrong else 0,
            locked_until=check.locked_until,
            database=False,
        )

    def _database_down(self, question: _Question) -> None:
        """Nothing was checked: say so, and let the PIN be typed again."""
        self.screens.problem(Problem.DATABASE, True)
        self._show(question, replace(question.pad, outcome=None, database=True))

    def _show(self, question: _Question, pad: PinPadData) -> None:
        question.pad = pad
        self.screens.show(Screen.STAFF_PIN, pad)
