"""Staff mode: opened by a staff badge and its PIN, who is in, badges, commands to agents,
timeout (the PIN pad itself: test_staff_pin.py)."""

from __future__ import annotations

import datetime as dt
import json
import threading
import uuid
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QPushButton
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.screens import Screen
from station.db import AccessEvent, AgentStatus, Badge, BadgeStatus, Member, Visit, make_engine
from station.protocol import topics
from station.protocol.commands import check_command
from station.protocol.vocabulary import Command
from tests.support.keys import issuers
from tests.support.kiosk_env import (
    ALICE,
    BLANK,
    STAFF_PIN,
    KioskEnv,
    enter_pin,
    open_staff_mode,
    settle,
    sign_up,
    small_fablab,
    tap,
)


def with_session(env: KioskEnv, work: Any) -> Any:
    engine = make_engine(env.db_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            result = work(session)
            session.commit()
            return result
    finally:
        engine.dispose()


def buttons(widget: Any) -> dict[str, QPushButton]:
    return {b.text(): b for b in widget.findChildren(QPushButton)}


def test_staff_badge_and_pin_open_staff_mode_with_who_is_in_and_check_out(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    tap(qtbot, kiosk, ALICE, Screen.WELCOME)
    kiosk.controller.go_idle()
    open_staff_mode(qtbot, kiosk)
    staff = kiosk.window.staff
    assert kiosk.window.current is staff
    assert staff.title.text() == "Mode équipe — Dana"
    assert staff.people.rowCount() == 1
    assert staff.people.item(0, 0).text() == "Alice Martin"
    assert "Entrées aujourd'hui : 1" in staff.tallies.text()
    assert staff.agents.rowCount() == 3  # front door, laser cutter, 3D printer
    qtbot.mouseClick(staff.people.cellWidget(0, 3), Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert staff.notice.text() == "Départ enregistré."
    assert staff.people.rowCount() == 0
    # Alice's visit only: a staff badge opens staff mode and records no visit.
    [visit] = with_session(kiosk_env, lambda s: list(s.scalars(select(Visit))))
    assert visit.checkout_reason == "staff"


def test_staff_today_tab_shows_how_full_each_space_is(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv
) -> None:
    kiosk = make_kiosk(config=small_fablab(kiosk_env.config))
    tap(qtbot, kiosk, ALICE, Screen.WELCOME)
    kiosk.controller.go_idle()
    sign_up(qtbot, kiosk, "Chloé", "fablab")
    sign_up(qtbot, kiosk, "Hugo", "fablab")
    open_staff_mode(qtbot, kiosk)
    staff = kiosk.window.staff
    assert staff.spaces_fill.text().splitlines() == [
        "Espaces (présents / capacité) :",
        "  • Espace de coworking : 1 / 40",
        "  • Fablab : 2 / 2 · complet",
        "  • Salle de créativité : 0 / 20",
        "  • Aide au numérique : 0 / 8",
    ]  # the hall has no capacity: not counted
    assert "  • Fablab : 2" in staff.tallies.text().splitlines()  # entries by purpose
    qtbot.mouseClick(staff.people.cellWidget(0, 3), Qt.MouseButton.LeftButton)  # Alice out
    settle(qtbot, kiosk)
    assert "  • Espace de coworking : 0 / 40" in staff.spaces_fill.text().splitlines()
    kiosk.controller.set_language("en")
    assert staff.spaces_fill.text().splitlines()[:3] == [
        "Spaces (in now / capacity):",
        "  • Coworking space: 0 / 40",
        "  • Fablab: 2 / 2 · full",
    ]


def test_staff_mode_closes_after_inactivity(qtbot: Any, kiosk: Any) -> None:
    open_staff_mode(qtbot, kiosk)
    assert kiosk.controller.staff.timer.isActive()
    assert kiosk.controller.staff.timer.interval() == 60_000
    kiosk.controller.idle_timer.timeout.emit()  # the public timeout does not close it
    assert kiosk.controller.screen == Screen.STAFF
    kiosk.controller.staff.timer.timeout.emit()
    assert kiosk.window.current is kiosk.window.idle
    assert kiosk.controller.staff.data is None


def test_staff_enrols_a_badge_for_a_member_then_revokes_it(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    open_staff_mode(qtbot, kiosk)
    staff = kiosk.window.staff
    qtbot.keyClicks(staff.query, "bob")
    qtbot.mouseClick(staff.find_button, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert staff.results.rowCount() == 1 and staff.results.item(0, 0).text() == "Bob Durand"
    qtbot.mouseClick(staff.results.cellWidget(0, 3), Qt.MouseButton.LeftButton)
    assert "Bob Durand" in staff.pending.text()
    tap(qtbot, kiosk, BLANK, Screen.STAFF)
    assert staff.notice.text() == "Badge associé à Bob Durand."

    def bob_badges(session: Session) -> list[tuple[str, BadgeStatus]]:
        bob = session.scalars(select(Member).where(Member.first_name == "Bob")).one()
        return [
            (b.origin_site or "", b.status)
            for b in session.scalars(
                select(Badge).where(Badge.member_id == bob.id).order_by(Badge.enrolled_at)
            )
        ]

    assert with_session(kiosk_env, bob_badges)[-1] == ("saint-omer-gare", BadgeStatus.ACTIVE)
    qtbot.mouseClick(staff.revoke_button, Qt.MouseButton.LeftButton)
    assert staff.pending.text() == "Posez sur le lecteur le badge à désactiver"
    tap(qtbot, kiosk, BLANK, Screen.STAFF)
    assert staff.notice.text() == "Badge de Bob Durand désactivé."
    assert with_session(kiosk_env, bob_badges)[-1][1] is BadgeStatus.REVOKED
    kiosk.controller.staff.close()
    tap(qtbot, kiosk, BLANK, Screen.PROBLEM)
    assert kiosk.window.problem.kind == "revoked"


def test_enrolling_a_badge_someone_holds_is_refused(qtbot: Any, kiosk: Any) -> None:
    open_staff_mode(qtbot, kiosk)
    kiosk.controller.staff.search("Bob")
    settle(qtbot, kiosk)
    kiosk.controller.staff.begin_enrol(kiosk.window.staff.data.results[0])
    tap(qtbot, kiosk, ALICE, Screen.STAFF)
    assert "Refusé" in kiosk.window.staff.notice.text()
    assert "Alice Martin" in kiosk.window.staff.notice.text()
    assert kiosk.window.staff.data.pending == "enrol"  # another badge may be tapped


@pytest.mark.mqtt
def test_remote_unlock_is_a_signed_command_on_the_bus(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv
) -> None:
    config = kiosk_env.config
    with_session(
        kiosk_env,
        lambda s: s.add(
            AgentStatus(
                agent_id="front-door",
                online=True,
                grants_version=7,
                status={"mode": "normal", "door": "closed", "relay": False, "outbox_depth": 0},
            )
        ),
    )
    received: list[bytes] = []
    subscribed = threading.Event()
    listener = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="test-front-door")
    listener.on_connect = lambda cl, *_: cl.subscribe(
        topics.agent(config.site.id, "front-door", topics.COMMANDS), qos=1
    )
    listener.on_subscribe = lambda *_: subscribed.set()
    listener.on_message = lambda _c, _u, message: received.append(bytes(message.payload))
    listener.connect(config.mqtt.host, config.mqtt.port)
    listener.loop_start()
    try:
        assert subscribed.wait(10)
        kiosk = make_kiosk(bus=True)
        qtbot.waitUntil(lambda: kiosk.bus.connected, timeout=10_000)
        open_staff_mode(qtbot, kiosk)
        staff = kiosk.window.staff
        assert staff.agents.item(0, 1).text() == "En ligne"
        assert "droits v7" in staff.agents.item(0, 2).text()
        assert "porte : fermée" in staff.agents.item(0, 2).text()
        assert "relais : non" in staff.agents.item(0, 2).text()
        reason = staff.agents.cellWidget(0, 3).findChild(QLineEdit, "reason-front-door")
        reason.setText("  livraison  ")  # optional; goes with the command, trimmed
        unlock = buttons(staff.agents.cellWidget(0, 3))["Ouvrir"]
        qtbot.mouseClick(unlock, Qt.MouseButton.LeftButton)
        assert staff.notice.text().startswith("Commande envoyée")
        qtbot.waitUntil(lambda: bool(received), timeout=10_000)
        # The agent's answer comes back on its command_results channel.
        results = topics.agent(config.site.id, "front-door", topics.COMMAND_RESULTS)
        listener.publish(results, b"not json", qos=1)
        listener.publish(
            results,
            json.dumps(
                {"agent": "front-door", "command": "unlock_once", "ok": False, "reason": "expired"}
            ),
            qos=1,
        )
        qtbot.waitUntil(lambda: staff.notice.text().startswith("Commande refusée"), timeout=10_000)
        assert "expired" in staff.notice.text()
        assert kiosk.bus.malformed == 1  # counted and dropped, nothing else happens
    finally:
        listener.loop_stop()
        listener.disconnect()
    body = check_command(
        received[0],
        "front-door",
        issuers(config),
        dt.datetime.now(dt.UTC),
        lambda _id: False,
    )
    assert body["command"] == "unlock_once" and body["issued_by"]["name"] == "Dana"
    assert body["issued_by"]["device"] == f"kiosk:{kiosk.controller.service.kiosk_id}"
    assert body["issued_by"]["member"] is not None  # the staff member who opened staff mode
    assert body["reason"] == "livraison"

    # The agent's command_applied event, once sync has stored it, is on the staff screen.
    device = body["issued_by"]["device"]
    with_session(
        kiosk_env,
        lambda s: s.add(
            AccessEvent(
                id=uuid.uuid4(),
                site_id=config.site.id,
                agent_id="front-door",
                resource="front-door",
                type="command_applied",
                reason="applied",
                at=dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC),  # any time: the only one
                data={
                    "command": "unlock_once",
                    "command_id": body["id"],
                    "author": body["issued_by"],
                    "reason": "livraison",
                },
            )
        ),
    )
    kiosk.controller.staff.refresh()
    last = f"dernière commande : unlock_once par Dana ({device}), appliquée"
    qtbot.waitUntil(lambda: last in kiosk.window.staff.agents.item(0, 2).text(), timeout=10_000)


def test_commands_refused_clearly_without_a_broker(qtbot: Any, kiosk: Any) -> None:
    open_staff_mode(qtbot, kiosk)
    kiosk.controller.staff.command("front-door", Command.LOCKDOWN)
    assert kiosk.window.staff.notice.text() == (
        "Réseau des équipements indisponible : commande non envoyée."
    )


class RecordingBus:
    """A connected bus that keeps what it is asked to send."""

    connected = True

    def __init__(self) -> None:
        self.sent: list[tuple[str, Command]] = []

    def send(self, agent_id: str, command: Command, **_kwargs: Any) -> str:
        self.sent.append((agent_id, command))
        return "id"


def test_a_command_button_sends_a_command_not_its_string(qtbot: Any, kiosk: Any) -> None:
    bus = RecordingBus()
    kiosk.controller.bus = bus
    open_staff_mode(qtbot, kiosk)
    kiosk.window.staff.command.emit("front-door", "lockdown", "")  # the view's signal: strings
    [(agent, command)] = bus.sent
    assert agent == "front-door" and command is Command.LOCKDOWN
    assert kiosk.window.staff.notice.text().startswith("Commande envoyée")


def test_quit_needs_staff_mode(qtbot: Any, make_kiosk: Any) -> None:
    kiosk = make_kiosk(fullscreen=True)
    quits: list[bool] = []
    kiosk.controller.quit_requested.connect(lambda: quits.append(True))
    assert not kiosk.window.close()  # no way out for the public
    kiosk.controller.request_quit()
    assert quits == []
    open_staff_mode(qtbot, kiosk)
    kiosk.controller.quit_requested.disconnect(kiosk.window._quit)  # keep the test's app
    qtbot.mouseClick(kiosk.window.staff.quit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert quits == []  # the PIN of whoever opened staff mode first
    assert kiosk.controller.screen == Screen.STAFF_PIN
    enter_pin(qtbot, kiosk, STAFF_PIN)
    assert quits == [True]
