"""Secure badges at the kiosk: a secure-only member's UID on a plain card is refused, staff
mode opens only for a secure badge (unless the kiosk says otherwise), and a failed secure
read is tapped as its UID where that may pass, else refused with the read's reason."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy.orm import Session

from hardware.readers.sim import parse_badge
from kiosk.screens import Screen
from station import registry
from station.credential import Credential, ReadFailure
from station.db import make_engine
from tests.support.kiosk_env import (
    ALICE,
    STAFF,
    STAFF_UID,
    KioskEnv,
    open_staff_mode,
    settle,
    tap,
    visits,
)

CAREFUL_UID = "04AB0001"  # Élise's plain card: she is secure-only
CAREFUL_SECURE = "secure:53540100000000000000000000E115E0"  # and her secure badge


def add_secure_only_member(env: KioskEnv) -> None:
    engine = make_engine(env.db_url)
    try:
        with Session(engine) as session, session.begin():
            member = registry.add_member(
                session,
                "Élise",
                "Moreau",
                membership_until=dt.date(2099, 1, 1),
                today=dt.date(2026, 1, 1),
            )
            member.secure_only = True
            key = env.config.badge_key
            registry.enroll_badge(session, member, Credential.uid(CAREFUL_UID), key)
            registry.enroll_badge(session, member, parse_badge(CAREFUL_SECURE), key)
    finally:
        engine.dispose()


def fail(qtbot: Any, kiosk: Any, reason: ReadFailure, uid: str | None, screen: str) -> None:
    """A secure read that failed on the simulated reader, with the card's UID if given."""
    shown: list[str] = []
    kiosk.controller.screen_changed.connect(lambda name, _data: shown.append(name))
    kiosk.bridge.reader.fail(reason, Credential.uid(uid) if uid else None)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    settle(qtbot, kiosk)
    assert kiosk.controller.screen == screen, f"expected {screen}, got {shown}"


def test_a_secure_only_members_uid_on_a_plain_card_is_refused(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    add_secure_only_member(kiosk_env)
    window = kiosk.window
    tap(qtbot, kiosk, CAREFUL_UID, Screen.PROBLEM)
    assert window.problem.kind == "secure_required"
    assert window.problem.headline.text() == "Ce badge ne suffit pas ici"
    assert "badge sécurisé" in window.problem.explain.text()
    assert window.problem.visitor.isVisibleTo(window)  # never a dead end
    assert visits(kiosk_env) == []
    qtbot.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    assert window.problem.headline.text() == "This badge is not enough here"
    kiosk.controller.go_idle()
    # A clone of her card (its UID, no secure application): the read's reason.
    fail(qtbot, kiosk, ReadFailure.AUTH_FAILED, CAREFUL_UID, Screen.PROBLEM)
    assert window.problem.kind == "auth_failed"
    assert window.problem.headline.text() == "Ce badge n'a pas pu être vérifié"
    kiosk.controller.go_idle()
    tap(qtbot, kiosk, CAREFUL_SECURE, Screen.WELCOME)  # her secure badge checks in
    assert [v.member_id is not None for v in visits(kiosk_env)] == [True]


def test_a_failed_read_falls_back_on_the_uid_of_an_ordinary_member(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    fail(qtbot, kiosk, ReadFailure.AUTH_FAILED, ALICE, Screen.WELCOME)
    assert kiosk.window.welcome.hello.text() == "Bonjour Alice !"
    kiosk.controller.go_idle()
    fail(qtbot, kiosk, ReadFailure.BAD_READ, None, Screen.PROBLEM)  # torn away: no UID
    assert kiosk.window.problem.kind == "bad_read"
    assert kiosk.window.problem.headline.text() == "Badge mal lu"
    kiosk.controller.go_idle()
    fail(qtbot, kiosk, ReadFailure.AUTH_FAILED, "04DEADBEEF", Screen.PROBLEM)  # nobody's
    assert kiosk.window.problem.kind == "auth_failed"
    assert len(visits(kiosk_env)) == 1


def test_staff_mode_needs_a_secure_badge(qtbot: Any, kiosk: Any) -> None:
    tap(qtbot, kiosk, STAFF_UID, Screen.PROBLEM)  # Dana's plain card: before any PIN
    assert kiosk.window.problem.kind == "secure_required"
    assert kiosk.controller.staff.data is None
    kiosk.controller.go_idle()
    tap(qtbot, kiosk, STAFF, Screen.STAFF_PIN)  # her secure badge: the PIN pad
    assert kiosk.window.current is kiosk.window.pin_pad


def test_a_kiosk_may_let_staff_in_on_a_plain_badge(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv
) -> None:
    config = kiosk_env.config
    entrance = config.kiosks["entrance"].model_copy(update={"staff_requires_secure": False})
    relaxed = config.model_copy(update={"kiosks": {**config.kiosks, "entrance": entrance}})
    kiosk = make_kiosk(config=relaxed)
    tap(qtbot, kiosk, STAFF_UID, Screen.STAFF_PIN)
    assert kiosk.window.pin_pad.title.text() == "Dana, votre code PIN pour le mode équipe"


def test_staff_mode_shows_which_badges_are_secure(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    add_secure_only_member(kiosk_env)
    open_staff_mode(qtbot, kiosk)
    staff = kiosk.window.staff
    qtbot.keyClicks(staff.query, "moreau")
    qtbot.mouseClick(staff.find_button, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert staff.results.item(0, 0).text() == "Élise Moreau"
    assert staff.results.item(0, 2).text() == "2 dont 1 sécurisé(s) · sécurisé seul"
    qtbot.mouseClick(kiosk.window.language_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(staff.find_button, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert staff.results.item(0, 2).text() == "2, 1 secure · secure only"
