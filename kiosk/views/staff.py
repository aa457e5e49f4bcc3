"""Staff mode: who is in, doors and machines, badges, today's tallies."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from kiosk.screens import Notice, Pending, Purpose, Space, StaffData
from kiosk.service import AgentRow, MemberRow
from kiosk.views.common import button, hhmm, label, reset_table
from station.commands_log import LoggedCommand
from station.protocol.commands import MAX_REASON
from station.protocol.vocabulary import (
    AgentKind,
    Command,
    DoorMode,
    DoorState,
    GrantState,
    MachineState,
    StatusField,
)

DOOR_COMMANDS = (Command.UNLOCK_ONCE, Command.LOCKDOWN, Command.RELEASE)
MACHINE_COMMANDS = (Command.END_SESSION, Command.BLOCK, Command.UNBLOCK)


class StaffView(QWidget):
    close_clicked = Signal()
    quit_clicked = Signal()
    refresh_clicked = Signal()
    check_out = Signal(object)  # visit id
    # agent id, Command value (`StaffMode.command` converts), the reason typed ("" for none)
    command = Signal(str, str, str)
    search = Signal(str)
    enrol = Signal(object)  # MemberRow
    revoke = Signal()
    cancel_pending = Signal()

    def __init__(
        self,
        zone: dt.tzinfo,
        purposes: Sequence[Purpose],
        language: Callable[[], str],
        spaces: Sequence[Space] = (),
    ) -> None:
        super().__init__()
        self.zone, self.language = zone, language
        self.purposes = {p.id: p for p in purposes}
        self.spaces = {s.id: s for s in spaces}
        self.data: StaffData | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 12, 24, 12)
        top = QHBoxLayout()
        self.title = label("subtitle", center=False)
        self.refresh_button = button("small")
        self.refresh_button.clicked.connect(self.refresh_clicked)
        self.quit = button("danger")
        self.quit.clicked.connect(self.quit_clicked)
        self.close_button = button("small")
        self.close_button.clicked.connect(self.close_clicked)
        top.addWidget(self.title, 3)
        for widget in (self.refresh_button, self.quit, self.close_button):
            top.addWidget(widget, 1)
        layout.addLayout(top)
        self.notice = label("error")
        layout.addWidget(self.notice)
        self.refusals = label("error")  # central's refusals of this site, if any
        self.refusals.setVisible(False)
        layout.addWidget(self.refusals)
        self.tabs = QTabWidget()
        layout.addWidget(self.tabs, 1)
        self.people = self._table(4)
        self.agents = self._table(4)
        header = self.agents.horizontalHeader()
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.ResizeToContents)
        badges = QWidget()
        badge_layout = QVBoxLayout(badges)
        search_row = QHBoxLayout()
        self.query = QLineEdit()
        self.query.returnPressed.connect(lambda: self.search.emit(self.query.text()))
        self.find_button = button("small")
        self.find_button.clicked.connect(lambda: self.search.emit(self.query.text()))
        self.revoke_button = button("danger")
        self.revoke_button.clicked.connect(self.revoke)
        search_row.addWidget(self.query, 3)
        search_row.addWidget(self.find_button, 1)
        search_row.addWidget(self.revoke_button, 2)
        badge_layout.addLayout(search_row)
        pending_row = QHBoxLayout()
        self.pending = label("good")
        self.cancel = button("secondary")
        self.cancel.clicked.connect(self.cancel_pending)
        pending_row.addWidget(self.pending, 3)
        pending_row.addWidget(self.cancel, 1)
        badge_layout.addLayout(pending_row)
        self.results = self._table(4)
        badge_layout.addWidget(self.results, 1)
        # Today: the tallies, and beside them how full each space is now.
        today = QWidget()
        today_layout = QHBoxLayout(today)
        today_layout.setContentsMargins(0, 0, 0, 0)
        self.tallies = label("subtitle", center=False)
        self.spaces_fill = label("subtitle", center=False)
        for column in (self.tallies, self.spaces_fill):
            column.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
            column.setContentsMargins(24, 24, 24, 24)
            today_layout.addWidget(column, 1)
        self.tabs.addTab(self.people, "")
        self.tabs.addTab(self.agents, "")
        self.tabs.addTab(badges, "")
        self.tabs.addTab(today, "")
        self.retranslate()

    @staticmethod
    def _table(columns: int) -> QTableWidget:
        table = QTableWidget(0, columns)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(72)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        return table

    def show_data(self, data: StaffData) -> None:
        self.data = data
        self.retranslate()

    def _purpose(self, code: str) -> str:
        purpose = self.purposes.get(code)
        return purpose.label(self.language()) if purpose else code

    def _space(self, code: str) -> str:
        space = self.spaces.get(code)
        return space.label(self.language()) if space else code

    def retranslate(self) -> None:
        data = self.data
        self.title.setText(
            self.tr("Mode équipe — %1").replace("%1", data.staff_name if data else "")
        )
        self.refresh_button.setText(self.tr("Actualiser"))
        self.quit.setText(self.tr("Quitter le kiosque"))
        self.close_button.setText(self.tr("Fermer"))
        for index, text in enumerate(
            (
                self.tr("Présents"),
                self.tr("Portes et machines"),
                self.tr("Badges"),
                self.tr("Aujourd'hui"),
            )
        ):
            self.tabs.setTabText(index, text)
        self.query.setPlaceholderText(self.tr("Nom, prénom ou e-mail"))
        self.find_button.setText(self.tr("Chercher"))
        self.revoke_button.setText(self.tr("Désactiver un badge…"))
        self.cancel.setText(self.tr("Annuler"))
        self.people.setHorizontalHeaderLabels(
            [self.tr("Nom"), self.tr("Motif"), self.tr("Depuis"), ""]
        )
        self.agents.setHorizontalHeaderLabels(
            [self.tr("Équipement"), self.tr("État"), self.tr("Détails"), self.tr("Actions")]
        )
        self.results.setHorizontalHeaderLabels(
            [self.tr("Nom"), self.tr("Type"), self.tr("Badges actifs"), ""]
        )
        if data is None:
            return
        self.notice.setText(self._notice(data))
        self.refusals.setText(self._refusals(data.open_refusals))
        self.refusals.setVisible(data.open_refusals > 0)
        self._fill_people(data)
        self._fill_agents(data.agents, data.bus_connected)
        self._fill_results(data)
        if data.pending is Pending.ENROL:
            self.pending.setText(
                self.tr("Posez sur le lecteur le badge à associer à %1").replace(
                    "%1", data.pending_member
                )
            )
        elif data.pending is Pending.REVOKE:
            self.pending.setText(self.tr("Posez sur le lecteur le badge à désactiver"))
        else:
            self.pending.setText("")
        self.cancel.setVisible(bool(data.pending))
        self._fill_tallies(data)

    def _refusals(self, count: int) -> str:
        if count == 0:
            return ""
        return self.tr(
            "Refus du registre à traiter : %1. Voyez la page Refus de la console."
        ).replace("%1", str(count))

    def _notice(self, data: StaffData) -> str:
        detail = data.notice_detail
        notices = {
            Notice.CHECKED_OUT: self.tr("Départ enregistré."),
            Notice.ENROLLED: self.tr("Badge associé à %1.").replace("%1", detail),
            Notice.REVOKED: self.tr("Badge de %1 désactivé.").replace("%1", detail),
            Notice.NOT_ENROLLED: self.tr("Ce badge n'est associé à personne."),
            Notice.CONFLICT: self.tr("Refusé : %1").replace("%1", detail),
            Notice.DATABASE: self.tr("Base de données indisponible : réessayez."),
            Notice.BUS_DOWN: self.tr("Réseau des équipements indisponible : commande non envoyée."),
            Notice.COMMAND_SENT: self.tr("Commande envoyée : %1").replace("%1", detail),
            Notice.COMMAND_DONE: self.tr("Commande exécutée : %1").replace("%1", detail),
            Notice.COMMAND_REFUSED: self.tr("Commande refusée : %1").replace("%1", detail),
        }
        return notices[data.notice] if data.notice else ""

    def _fill_people(self, data: StaffData) -> None:
        reset_table(self.people, len(data.presences))
        for row, presence in enumerate(data.presences):
            self.people.setItem(row, 0, QTableWidgetItem(presence.name))
            self.people.setItem(row, 1, QTableWidgetItem(self._purpose(presence.purpose)))
            self.people.setItem(row, 2, QTableWidgetItem(hhmm(presence.since, self.zone)))
            out = button("small")
            out.setText(self.tr("Faire sortir"))
            out.clicked.connect(lambda _=False, v=presence.visit_id: self._check_out(v))
            self.people.setCellWidget(row, 3, out)

    def _check_out(self, visit_id: uuid.UUID) -> None:
        self.check_out.emit(visit_id)

    def _fill_agents(self, agents: Sequence[AgentRow], bus: bool) -> None:
        names = {
            Command.UNLOCK_ONCE: self.tr("Ouvrir"),
            Command.LOCKDOWN: self.tr("Confinement"),
            Command.RELEASE: self.tr("Lever"),
            Command.END_SESSION: self.tr("Fin de session"),
            Command.BLOCK: self.tr("Bloquer"),
            Command.UNBLOCK: self.tr("Débloquer"),
        }
        reset_table(self.agents, len(agents))
        for row, agent in enumerate(agents):
            self.agents.setItem(row, 0, QTableWidgetItem(agent.name))
            state = self.tr("En ligne") if agent.online else self.tr("Hors ligne")
            self.agents.setItem(row, 1, QTableWidgetItem(state))
            details = QTableWidgetItem(self._details(agent))
            details.setToolTip("\n".join(self._last_command(c) for c in agent.commands))
            self.agents.setItem(row, 2, details)
            cell = QWidget()
            box = QHBoxLayout(cell)
            box.setContentsMargins(2, 2, 2, 2)
            reason = QLineEdit()  # optional: why, for the commands log
            reason.setObjectName(f"reason-{agent.agent_id}")
            reason.setPlaceholderText(self.tr("Motif ?"))
            reason.setMaxLength(MAX_REASON)
            reason.setFixedWidth(170)  # the details column keeps the room it needs
            box.addWidget(reason)
            commands = DOOR_COMMANDS if agent.kind is AgentKind.DOOR else MACHINE_COMMANDS
            for command in commands:
                action = button("small")
                action.setText(names[command])
                action.setEnabled(bus)
                action.clicked.connect(
                    lambda _=False, a=agent.agent_id, c=command, r=reason: self.command.emit(
                        a, c, r.text()
                    )
                )
                box.addWidget(action)
            self.agents.setCellWidget(row, 3, cell)
        self.agents.resizeRowsToContents()  # the details wrap over several lines

    def _details(self, agent: AgentRow) -> str:
        """The agent's last status (door_agent/status.py keys), in words."""
        status = agent.status
        labels = {
            StatusField.MODE: self.tr("mode"),
            StatusField.DOOR: self.tr("porte"),
            StatusField.RELAY: self.tr("relais"),
            StatusField.BUSY: self.tr("en marche"),
            StatusField.READER: self.tr("lecteur"),
            StatusField.OUTBOX_DEPTH: self.tr("en attente"),
            StatusField.ALARMS: self.tr("alarmes"),
        }
        values: dict[str, str] = {
            DoorState.OPEN: self.tr("ouverte"),
            DoorState.CLOSED: self.tr("fermée"),
            DoorState.UNKNOWN: self.tr("inconnu"),
            DoorMode.NORMAL: self.tr("normal"),
            DoorMode.LOCKDOWN: self.tr("confinement"),
            DoorMode.HOLD_OPEN: self.tr("maintenue ouverte"),
            MachineState.FREE: self.tr("libre"),
            MachineState.IN_USE: self.tr("en service"),
            MachineState.BLOCKED: self.tr("bloquée"),
            MachineState.TO_CHECK: self.tr("à vérifier"),
        }
        # First: the end of a long status is elided in the table's narrow column.
        parts = [
            self.tr("droits v%1 (%2)")
            .replace("%1", str(agent.grants_version))
            .replace("%2", self._grants_words(agent.grants))
        ]
        for key, caption in labels.items():
            value = status.get(key)
            if value is None or value == "" or value == []:
                continue
            if isinstance(value, bool):
                text = self.tr("oui") if value else self.tr("non")
            elif isinstance(value, list):
                text = ", ".join(str(v) for v in value)
            else:
                text = values.get(str(value), str(value))
            parts.append(self.tr("%1 : %2").replace("%1", caption).replace("%2", text))
        if status.get(StatusField.OUTBOX_ALARM):
            parts.append(self.tr("ALARME : file d'attente pleine"))
        last = [self._last_command(agent.commands[0])] if agent.commands else []
        return "\n".join([" · ".join(parts), *last])

    def _grants_words(self, state: GrantState) -> str:
        """Whether the agent holds what sync last sent it (station.grant_state)."""
        return {
            GrantState.IN_STEP: self.tr("à jour"),
            GrantState.BEHIND: self.tr("en retard"),
            GrantState.DIVERGED: self.tr("DIVERGENTS"),
            GrantState.UNKNOWN: self.tr("état inconnu"),
        }[state]

    def _last_command(self, logged: LoggedCommand) -> str:
        """'dernière commande : unlock_once par Dana (kiosk:entree), appliquée'."""
        outcome = (
            self.tr("appliquée")
            if logged.applied
            else self.tr("refusée (%1)").replace("%1", logged.outcome)
        )
        author = logged.author
        if author is None:  # forged or malformed: the agent could trust no author
            text = self.tr("dernière commande : %1 d'auteur inconnu, %2")
            return text.replace("%1", logged.command or "?").replace("%2", outcome)
        text = self.tr("dernière commande : %1 par %2 (%3), %4")
        values = (logged.command or "?", author.name, author.device, outcome)
        # One pass: a name holding "%3" stays as typed.
        return re.sub(r"%([1-4])", lambda m: values[int(m.group(1)) - 1], text)

    def _fill_results(self, data: StaffData) -> None:
        kinds = {
            "member": self.tr("Membre"),
            "visitor": self.tr("Visiteur"),
            "staff": self.tr("Équipe"),
        }
        reset_table(self.results, len(data.results))
        for row, member in enumerate(data.results):
            self.results.setItem(row, 0, QTableWidgetItem(member.name))
            self.results.setItem(row, 1, QTableWidgetItem(kinds.get(member.kind, member.kind)))
            self.results.setItem(row, 2, QTableWidgetItem(self._badges_text(member)))
            give = button("small")
            give.setText(self.tr("Associer un badge"))
            give.clicked.connect(lambda _=False, m=member: self.enrol.emit(m))
            self.results.setCellWidget(row, 3, give)

    def _badges_text(self, member: MemberRow) -> str:
        """'2', '2 dont 1 sécurisé', and 'sécurisé seul' when their UIDs open nothing."""
        text = str(member.badges)
        if member.secure:
            text = self.tr("%1 dont %2 sécurisé(s)").replace("%1", text)
            text = text.replace("%2", str(member.secure))
        if member.secure_only:
            text += " · " + self.tr("sécurisé seul")
        return text

    def _fill_tallies(self, data: StaffData) -> None:
        self._fill_spaces(data)
        tallies = data.tallies
        if tallies is None:
            self.tallies.setText("")
            return
        lines = [
            self.tr("Entrées aujourd'hui : %1").replace("%1", str(tallies.entries)),
            self.tr("Sur place maintenant : %1").replace("%1", str(tallies.in_now)),
            self.tr("Dont visiteurs sans badge : %1").replace("%1", str(tallies.visitors)),
            "",
            self.tr("Par motif :"),
        ]
        item = self.tr("%1 : %2")
        lines += [
            "  • " + item.replace("%1", self._purpose(code)).replace("%2", str(count))
            for code, count in tallies.by_purpose.items()
        ]
        self.tallies.setText("\n".join(lines))

    def _fill_spaces(self, data: StaffData) -> None:
        """People in now / capacity, for each space that has a capacity."""
        if not data.spaces:
            self.spaces_fill.setText("")
            return
        item = self.tr("%1 : %2")
        lines = [self.tr("Espaces (présents / capacité) :")]
        for fill in data.spaces:
            count = f"{fill.people_in} / {fill.capacity}"
            if fill.full:
                count = self.tr("%1 · complet").replace("%1", count)
            lines.append("  • " + item.replace("%1", self._space(fill.space)).replace("%2", count))
        self.spaces_fill.setText("\n".join(lines))
