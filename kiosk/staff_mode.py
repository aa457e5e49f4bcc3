"""Staff mode of the kiosk: who is in, agents and their commands, enrolment and
revocation, today's tallies.

An object of its own, composed by `KioskController`: it owns its state (`data`,
the badge it waits for) and its timer, runs its database work through `Jobs`
and reaches the screens through `ScreenSink`, so it knows nothing of the
controller.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import replace
from typing import Any, Protocol

from PySide6.QtCore import QObject, QTimer

from kiosk.errors import BusUnavailable, DatabaseUnavailable
from kiosk.screens import Notice, Pending, Problem, Screen, StaffData
from kiosk.service import AgentRow, KioskService, MemberRow
from kiosk.worker import Jobs
from station.checkin import Presence
from station.credential import Credential
from station.errors import Conflict, NotFound
from station.protocol.commands import MAX_NAME, MAX_REASON, Author, CommandResult
from station.protocol.vocabulary import Command
from station.today import SpaceFill, Tallies

# After these the lists are read again: who is in, badges held have changed.
_REREAD = (Notice.ENROLLED, Notice.REVOKED, Notice.CHECKED_OUT)
_Snapshot = tuple[tuple[Presence, ...], tuple[AgentRow, ...], Tallies, tuple[SpaceFill, ...], int]


class ScreenSink(Protocol):
    """What staff mode asks of whoever shows the screens (the controller)."""

    def show(self, screen: Screen, data: object) -> None: ...

    def leave(self) -> None:
        """Back to the idle screen (staff mode is over)."""

    def problem(self, problem: Problem, present: bool) -> None: ...


class CommandSender(Protocol):
    """The bus as staff mode uses it (`kiosk.bus.CommandBus`)."""

    @property
    def connected(self) -> bool: ...

    def send(
        self,
        agent_id: str,
        command: Command,
        *,
        author: Author,
        reason: str = "",
        args: dict[str, Any] | None = None,
    ) -> str: ...


class StaffMode(QObject):
    def __init__(
        self,
        service: KioskService,
        jobs: Jobs,
        screens: ScreenSink,
        *,
        timeout_s: float,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.service, self.jobs, self.screens = service, jobs, screens
        self.bus: CommandSender | None = None
        self.data: StaffData | None = None
        self.author: Author | None = None  # who opened staff mode: every command is theirs
        self.member_id: uuid.UUID | None = None  # theirs too: quitting asks their PIN
        self.enrol_for: uuid.UUID | None = None
        self.revoke_next = False
        self.timer = QTimer(self)  # closes staff mode after `timeout_s` without a touch
        self.timer.setSingleShot(True)
        self.timer.setInterval(int(timeout_s * 1000))
        self.timer.timeout.connect(self.close)

    @property
    def active(self) -> bool:
        return self.data is not None

    @property
    def wants_badge(self) -> bool:
        """The next badge is for enrolment or revocation, not a check-in."""
        return self.enrol_for is not None or self.revoke_next

    # -- life cycle -------------------------------------------------------------------

    def open(self, name: str, member_id: uuid.UUID | None = None) -> None:
        member = None if member_id is None else str(member_id)
        self.author = Author.kiosk(self.service.kiosk_id, (name or "?")[:MAX_NAME], member)
        self.member_id = member_id
        self.data = StaffData(name, bus_connected=bool(self.bus and self.bus.connected))
        self.refresh()
        self.timer.start()

    def reset(self) -> None:
        """Forget everything (the controller goes idle or checks someone in)."""
        self.data, self.author, self.member_id = None, None, None
        self.enrol_for, self.revoke_next = None, False
        self.timer.stop()

    def close(self) -> None:
        if self.active:
            self.screens.leave()

    def activity(self) -> None:
        if self.active:
            self.timer.start()

    def show(self) -> None:
        """Its screen again, as it was (the PIN pad to quit was cancelled)."""
        if self.data is not None:
            self.timer.start()
            self.screens.show(Screen.STAFF, self.data)

    def refresh(self) -> None:
        if self.data is None:
            return
        service = self.service

        def read() -> _Snapshot:
            return (
                tuple(service.who_is_in()),
                tuple(service.agents()),
                service.tallies(),
                service.occupancy(),
                service.open_refusals(),
            )

        self.jobs.submit(read, self._refreshed)

    def _refreshed(self, future: Future[_Snapshot]) -> None:
        staff = self.data
        if staff is None:  # closed while the lists were read
            return
        try:
            presences, agents, tallies, spaces, refusals = future.result()
        except DatabaseUnavailable:
            self.screens.problem(Problem.DATABASE, True)
            self.data = replace(staff, notice=Notice.DATABASE)
        else:
            self.data = replace(
                staff,
                presences=presences,
                agents=agents,
                tallies=tallies,
                spaces=spaces,
                open_refusals=refusals,
            )
        self.screens.show(Screen.STAFF, self.data)

    def _update(self, **changes: Any) -> None:
        if self.data is None:
            return
        self.data = replace(self.data, **changes)
        if changes.get("notice") in _REREAD:
            self.refresh()
        else:
            self.screens.show(Screen.STAFF, self.data)

    # -- who is in, members -----------------------------------------------------------

    def check_out(self, visit_id: uuid.UUID) -> None:
        self.jobs.submit(lambda: self.service.check_out(visit_id), self._checked_out)

    def _checked_out(self, future: Future[None]) -> None:
        try:
            future.result()
        except (NotFound, DatabaseUnavailable) as exc:
            self._update(notice=Notice.DATABASE, notice_detail=str(exc))
            return
        self._update(notice=Notice.CHECKED_OUT)

    def search(self, text: str) -> None:
        self.jobs.submit(lambda: tuple(self.service.search(text)), self._found)

    def _found(self, future: Future[tuple[MemberRow, ...]]) -> None:
        try:
            results = future.result()
        except DatabaseUnavailable:
            self._update(notice=Notice.DATABASE)
            return
        self._update(results=results, notice=None)

    # -- badges -----------------------------------------------------------------------

    def begin_enrol(self, member: MemberRow) -> None:
        self.enrol_for, self.revoke_next = member.id, False
        self._update(pending=Pending.ENROL, pending_member=member.name, notice=None)

    def begin_revoke(self) -> None:
        self.enrol_for, self.revoke_next = None, True
        self._update(pending=Pending.REVOKE, pending_member="", notice=None)

    def cancel_pending(self) -> None:
        self.enrol_for, self.revoke_next = None, False
        self._update(pending=None, pending_member="", notice=None)

    def handle_badge(self, credential: Credential, then: Callable[[], None]) -> None:
        """Enrol or revoke `credential` as asked; `then()` once the answer is shown."""
        member_id = self.enrol_for
        if member_id is not None:
            self.jobs.submit(
                lambda: self.service.enrol(member_id, credential),
                lambda future: self._answered(then, self._enrolled, member_id, future),
            )
        else:
            self.revoke_next = False
            self.jobs.submit(
                lambda: self.service.revoke(credential),
                lambda future: self._answered(then, self._revoked, future),
            )

    @staticmethod
    def _answered(then: Callable[[], None], handle: Callable[..., None], *args: Any) -> None:
        try:
            handle(*args)
        finally:
            then()

    def _enrolled(self, member_id: uuid.UUID, future: Future[str]) -> None:
        if self.data is None:  # staff mode closed meanwhile: nothing to say
            return
        error: Notice | None = None
        try:
            name = future.result()
        except Conflict as exc:
            error, name = Notice.CONFLICT, str(exc)
        except (NotFound, DatabaseUnavailable) as exc:
            error, name = Notice.DATABASE, str(exc)
        # A refused badge leaves the wait open: another badge may be tapped.
        self.enrol_for = member_id if error else None
        self._update(
            pending=Pending.ENROL if error else None,
            notice=error or Notice.ENROLLED,
            notice_detail=name,
        )

    def _revoked(self, future: Future[str]) -> None:
        try:
            name = future.result()
        except NotFound:
            self._update(pending=None, notice=Notice.NOT_ENROLLED)
            return
        except DatabaseUnavailable as exc:
            self._update(pending=None, notice=Notice.DATABASE, notice_detail=str(exc))
            return
        self._update(pending=None, notice=Notice.REVOKED, notice_detail=name)

    # -- agents -----------------------------------------------------------------------

    def command(self, agent_id: str, value: str, reason: str = "") -> None:
        """A command button (`StaffView.command`, whose signal carries plain strings),
        sent in the name of whoever opened staff mode."""
        command = Command(value)
        author = self.author
        if self.data is None or author is None:
            return
        if self.bus is None:
            self._update(notice=Notice.BUS_DOWN)
            return
        try:
            self.bus.send(agent_id, command, author=author, reason=reason.strip()[:MAX_REASON])
        except BusUnavailable:
            self._update(notice=Notice.BUS_DOWN)
            return
        self._update(notice=Notice.COMMAND_SENT, notice_detail=f"{command} {agent_id}")

    def on_command_result(self, agent_id: str, result: CommandResult) -> None:
        if self.data is None:
            return
        detail = f"{result.command or ''} {agent_id} {result.reason}".strip()
        self._update(
            notice=Notice.COMMAND_DONE if result.ok else Notice.COMMAND_REFUSED,
            notice_detail=detail,
        )

    def on_bus_state(self, connected: bool) -> None:
        if self.data is not None:
            self._update(bus_connected=connected)
