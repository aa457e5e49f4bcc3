"""Staff mode of the kiosk: who is in, agents and their commands, enrolment and
revocation, today's tallies. Mixed into `KioskController`, whose state, timers,
service and bus it uses; kept apart so that each file holds one idea."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from kiosk.errors import BusUnavailable, DatabaseUnavailable
from kiosk.screens import STAFF, StaffData
from kiosk.service import MemberRow
from station.credential import Credential
from station.errors import NotFound

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer

    from kiosk.bus import CommandBus
    from kiosk.controller import _State
    from kiosk.service import KioskService


class StaffMode:
    if TYPE_CHECKING:  # provided by KioskController
        service: KioskService
        bus: CommandBus | None
        state: _State
        idle_timer: QTimer
        staff_timer: QTimer

        def _show(self, screen: str, data: object) -> None: ...

        def _problem(self, code: str, present: bool) -> None: ...

        def go_idle(self) -> None: ...

    def _open_staff(self, name: str) -> None:
        self.idle_timer.stop()
        self.state.staff = StaffData(name, bus_connected=bool(self.bus and self.bus.connected))
        self.staff_refresh()
        self.staff_timer.start()

    def staff_refresh(self) -> None:
        staff = self.state.staff
        if staff is None:
            return
        try:
            self.state.staff = replace(
                staff,
                presences=tuple(self.service.who_is_in()),
                agents=tuple(self.service.agents()),
                tallies=self.service.tallies(),
                spaces=self.service.occupancy(),
            )
        except DatabaseUnavailable:
            self._problem("database", True)
            self.state.staff = replace(staff, notice="database")
        self._show(STAFF, self.state.staff)

    def _update_staff(self, **changes: Any) -> None:
        if self.state.staff is None:
            return
        self.state.staff = replace(self.state.staff, **changes)
        if changes.get("notice") in ("enrolled", "revoked", "checked_out"):
            self.staff_refresh()
        else:
            self._show(STAFF, self.state.staff)

    def close_staff(self) -> None:
        if self.state.staff is not None or self.state.screen == STAFF:
            self.go_idle()

    def staff_check_out(self, visit_id: uuid.UUID) -> None:
        try:
            self.service.check_out(visit_id)
        except (NotFound, DatabaseUnavailable) as exc:
            self._update_staff(notice="database", notice_detail=str(exc))
            return
        self._update_staff(notice="checked_out")

    def staff_search(self, text: str) -> None:
        try:
            results = tuple(self.service.search(text))
        except DatabaseUnavailable:
            self._update_staff(notice="database")
            return
        self._update_staff(results=results, notice="")

    def staff_begin_enrol(self, member: MemberRow) -> None:
        self.state.enrol_for, self.state.revoke_next = member.id, False
        self._update_staff(pending="enrol", pending_member=member.name, notice="")

    def staff_begin_revoke(self) -> None:
        self.state.enrol_for, self.state.revoke_next = None, True
        self._update_staff(pending="revoke", pending_member="", notice="")

    def staff_cancel_pending(self) -> None:
        self.state.enrol_for, self.state.revoke_next = None, False
        self._update_staff(pending="", pending_member="", notice="")

    def _revoke(self, credential: Credential) -> None:
        self.state.revoke_next = False
        try:
            name = self.service.revoke(credential)
        except NotFound:
            self._update_staff(pending="", notice="not_enrolled")
            return
        except DatabaseUnavailable as exc:
            self._update_staff(pending="", notice="database", notice_detail=str(exc))
            return
        self._update_staff(pending="", notice="revoked", notice_detail=name)

    def staff_command(self, agent_id: str, command: str) -> None:
        staff = self.state.staff
        if staff is None:
            return
        if self.bus is None:
            self._update_staff(notice="bus_down")
            return
        try:
            self.bus.send(
                agent_id, command, issued_by=f"kiosk {self.service.kiosk_id}: {staff.staff_name}"
            )
        except BusUnavailable:
            self._update_staff(notice="bus_down")
            return
        self._update_staff(notice="command_sent", notice_detail=f"{command} {agent_id}")

    def _on_command_result(self, agent_id: str, body: dict[str, Any]) -> None:
        if self.state.staff is None:
            return
        ok = bool(body.get("ok", body.get("accepted", False)))
        detail = f"{body.get('command', '')} {agent_id} {body.get('reason', '')}".strip()
        self._update_staff(notice="command_done" if ok else "command_refused", notice_detail=detail)
