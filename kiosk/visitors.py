"""The visitor without a badge: the sign-up form's answer, then the badge they may
be given.

An object of its own, composed by `KioskController` as `StaffMode` is: it owns
the member whose badge is awaited, runs its database work through `Jobs` and
reaches the screens through `VisitorScreens`, so it knows nothing of the
controller.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future
from typing import Protocol

from PySide6.QtCore import QObject, Signal

from kiosk.errors import DatabaseUnavailable
from kiosk.screens import EnrolError, Problem, Screen, Unsaved, VisitorBadgeData
from kiosk.service import KioskService, SignedUp, SignUpForm
from kiosk.worker import Jobs
from station.ages import parse_birth_year
from station.checkin import SignUpError, SignUpField
from station.credential import Credential
from station.errors import Conflict, NotFound


class VisitorScreens(Protocol):
    """What the visitor flow asks of whoever shows the screens (the controller)."""

    def show(self, screen: Screen, data: object) -> None: ...

    def confirm(self, screen: Screen, data: object) -> None:
        """Show a confirmation, then the idle screen after a moment."""

    def problem(self, problem: Problem, present: bool) -> None: ...


class VisitorFlow(QObject):
    error = Signal(object)  # VisitorError: what the form asks to correct

    def __init__(
        self,
        service: KioskService,
        jobs: Jobs,
        screens: VisitorScreens,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.jobs, self.screens = service, jobs, screens
        self.enrol_for: uuid.UUID | None = None  # the visitor whose badge is awaited

    @property
    def wants_badge(self) -> bool:
        """The next badge is the signed-up visitor's, not a check-in."""
        return self.enrol_for is not None

    def reset(self) -> None:
        """The visitor left (the kiosk goes idle): no badge is awaited any more."""
        self.enrol_for = None

    def sign_up(self, form: SignUpForm) -> None:
        """Sign a visitor up, off the Qt thread; a refusal names the field to correct."""
        try:
            year = parse_birth_year(form.birth_year)
        except ValueError:
            self.error.emit(SignUpField.BIRTH_YEAR)
            return
        self.jobs.submit(lambda: self.service.sign_up(form, year), self._signed_up)

    def _signed_up(self, future: Future[SignedUp]) -> None:
        try:
            signed = future.result()
        except SignUpError as exc:
            self.error.emit(exc.field)
            return
        except NotFound:  # an unknown purpose, as everywhere one is looked up
            self.error.emit(SignUpField.PURPOSE)
            return
        except DatabaseUnavailable:
            self.screens.problem(Problem.DATABASE, True)
            self.error.emit(Unsaved.DATABASE)
            return
        self.enrol_for = signed.member_id
        self.screens.show(
            Screen.VISITOR_BADGE, VisitorBadgeData(signed.first_name, signed.member_id)
        )

    def handle_badge(self, credential: Credential, then: Callable[[], None]) -> None:
        """Give `credential` to the visitor; `then()` once the answer is shown."""
        member_id = self.enrol_for
        assert member_id is not None, "no visitor awaits a badge (see wants_badge)"

        def enrolled(future: Future[str]) -> None:
            try:
                self._show_enrolment(member_id, future)
            finally:
                then()

        self.jobs.submit(lambda: self.service.enrol(member_id, credential), enrolled)

    def _show_enrolment(self, member_id: uuid.UUID, future: Future[str]) -> None:
        if self.enrol_for != member_id:  # the visitor left meanwhile
            return
        error: EnrolError | None = None
        try:
            name = future.result()
        except Conflict:
            error, name = EnrolError.CONFLICT, ""
        except (NotFound, DatabaseUnavailable):
            error, name = EnrolError.DATABASE, ""
        # A refused badge leaves the wait open: another badge may be tapped.
        self.enrol_for = member_id if error else None
        data = VisitorBadgeData(name, member_id, enrolled=not error, error=error)
        if error:
            self.screens.show(Screen.VISITOR_BADGE, data)
        else:
            self.screens.confirm(Screen.VISITOR_BADGE, data)
