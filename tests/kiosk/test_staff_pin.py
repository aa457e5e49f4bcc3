"""The staff PIN pad: a staff badge alone opens nothing; wrong PINs are counted, five
lock staff mode for 15 minutes (by the kiosk's clock); quitting needs the PIN too."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.screens import PinPurpose, Screen
from station import staff_pin
from station.db import AccessEvent, Member, make_engine
from station.protocol.vocabulary import EventType
from station.staff_pin import LOCKOUT, MAX_FAILURES, PinOutcome
from tests.support.kiosk_env import (
    ALICE,
    STAFF,
    STAFF_PIN,
    KioskEnv,
    enter_pin,
    open_staff_mode,
    settle,
    tap,
)

WRONG = "1357"


def in_database(env: KioskEnv, work: Any) -> Any:
    engine = make_engine(env.db_url)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            return work(session)
    finally:
        engine.dispose()


def lock_events(env: KioskEnv) -> list[AccessEvent]:
    return in_database(
        env,
        lambda s: list(
            s.scalars(select(AccessEvent).where(AccessEvent.type == EventType.STAFF_PIN_LOCKED))
        ),
    )


def test_a_staff_badge_asks_the_pin_and_the_right_pin_opens_staff_mode(
    qtbot: Any, kiosk: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    tap(qtbot, kiosk, STAFF, Screen.STAFF_PIN)
    pad = kiosk.window.pin_pad
    assert kiosk.window.current is pad
    assert pad.title.text() == "Dana, votre code PIN pour le mode équipe"
    assert kiosk.controller.staff.data is None  # not open yet
    assert not pad.ok.isEnabled()  # fewer than four digits: nothing to check
    for digit in STAFF_PIN[:3]:
        qtbot.mouseClick(pad.digits[digit], Qt.MouseButton.LeftButton)
    assert pad.dots.text() == "● ● ●" and pad.typed == 3  # dots, never the digits
    qtbot.mouseClick(pad.erase, Qt.MouseButton.LeftButton)
    assert pad.dots.text() == "● ●"
    qtbot.mouseClick(pad.digits[STAFF_PIN[2]], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(pad.digits[STAFF_PIN[3]], Qt.MouseButton.LeftButton)
    assert pad.ok.isEnabled()
    qtbot.mouseClick(pad.ok, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert kiosk.controller.screen == Screen.STAFF
    assert kiosk.window.staff.title.text() == "Mode équipe — Dana"
    assert pad.typed == 0  # forgotten once handed over
    assert STAFF_PIN not in caplog.text  # nothing typed is logged


def test_a_wrong_pin_keeps_staff_mode_closed_and_says_the_tries_left(
    qtbot: Any, kiosk: Any
) -> None:
    tap(qtbot, kiosk, STAFF, Screen.STAFF_PIN)
    enter_pin(qtbot, kiosk, WRONG)
    pad = kiosk.window.pin_pad
    assert kiosk.controller.screen == Screen.STAFF_PIN
    assert kiosk.controller.staff.data is None
    assert pad.message.text() == "Code incorrect. Encore 4 essais avant le blocage."
    assert pad.data.outcome is PinOutcome.WRONG and pad.data.tries_left == 4
    kiosk.controller.set_language("en")
    assert pad.message.text() == "Wrong PIN. 4 more tries before the lock-out."
    assert pad.title.text() == "Dana, your PIN for staff mode"
    enter_pin(qtbot, kiosk, WRONG)
    assert pad.message.text() == "Wrong PIN. 3 more tries before the lock-out."
    enter_pin(qtbot, kiosk, STAFF_PIN)  # the right one still opens
    assert kiosk.controller.screen == Screen.STAFF


def test_five_wrong_pins_lock_staff_mode_for_fifteen_minutes(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    tap(qtbot, kiosk, STAFF, Screen.STAFF_PIN)
    pad = kiosk.window.pin_pad
    for _ in range(MAX_FAILURES - 1):
        enter_pin(qtbot, kiosk, WRONG)
    assert pad.message.text() == "Code incorrect. Dernier essai avant le blocage."
    locked_at = kiosk_env.clock()
    enter_pin(qtbot, kiosk, WRONG)
    until = (locked_at + LOCKOUT).astimezone(kiosk.controller.service.desk.zone)
    assert until.strftime("%H:%M") == "10:15"  # Paris time (09:15 UTC): the clock says 10:00
    assert pad.message.text() == (
        "Trop de codes incorrects : le mode équipe est bloqué jusqu'à 10:15."
    )
    assert all(not key.isEnabled() for key in pad.digits.values()) and not pad.ok.isEnabled()
    assert pad.cancel.text() == "Retour"
    [event] = lock_events(kiosk_env)
    assert event.agent_id == "entrance" and event.at == locked_at
    assert event.data["failures"] == MAX_FAILURES
    # Even the right PIN does not open it now, here or after a new tap.
    kiosk.controller.pin.submit(STAFF_PIN)
    settle(qtbot, kiosk)
    assert kiosk.controller.staff.data is None
    qtbot.mouseClick(pad.cancel, Qt.MouseButton.LeftButton)
    assert kiosk.controller.screen == Screen.IDLE
    kiosk_env.clock.advance(minutes=14)
    tap(qtbot, kiosk, STAFF, Screen.STAFF_PIN)  # said at once, before any PIN is typed
    assert pad.data.outcome is PinOutcome.LOCKED
    assert "jusqu'à 10:15" in pad.message.text()
    kiosk.controller.set_language("en")
    assert pad.message.text() == "Too many wrong PINs: staff mode is locked until 10:15."
    kiosk.controller.go_idle()
    kiosk_env.clock.advance(minutes=1)  # 15 minutes after the fifth wrong PIN
    open_staff_mode(qtbot, kiosk)
    assert len(lock_events(kiosk_env)) == 1  # refusing while locked recorded no more


def test_a_staff_member_without_a_pin_cannot_open_staff_mode(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    def clear(session: Session) -> None:
        dana = session.scalars(select(Member).where(Member.first_name == "Dana")).one()
        staff_pin.clear_pin(session, dana)

    in_database(kiosk_env, clear)
    tap(qtbot, kiosk, STAFF, Screen.STAFF_PIN)
    pad = kiosk.window.pin_pad
    assert pad.data.outcome is PinOutcome.NO_PIN
    assert "« station member pin »" in pad.message.text()
    assert not pad.ok.isEnabled() and not pad.digits["1"].isEnabled()
    kiosk.controller.pin.submit(STAFF_PIN)  # whatever is typed
    settle(qtbot, kiosk)
    assert kiosk.controller.staff.data is None
    assert kiosk.controller.screen == Screen.STAFF_PIN
    kiosk.controller.set_language("en")
    assert "`station member pin`" in pad.message.text()
    qtbot.mouseClick(pad.cancel, Qt.MouseButton.LeftButton)
    assert kiosk.controller.screen == Screen.IDLE


def test_the_pin_pad_times_out_to_idle_and_cancel_goes_back(qtbot: Any, kiosk: Any) -> None:
    tap(qtbot, kiosk, STAFF, Screen.STAFF_PIN)
    assert kiosk.controller.idle_timer.isActive()
    kiosk.controller.idle_timer.timeout.emit()
    assert kiosk.controller.screen == Screen.IDLE
    assert not kiosk.controller.pin.asking
    tap(qtbot, kiosk, STAFF, Screen.STAFF_PIN)
    qtbot.mouseClick(kiosk.window.pin_pad.cancel, Qt.MouseButton.LeftButton)
    assert kiosk.controller.screen == Screen.IDLE
    # Another badge on the pad is a check-in as ever, and the pad is forgotten.
    tap(qtbot, kiosk, STAFF, Screen.STAFF_PIN)
    tap(qtbot, kiosk, ALICE, Screen.WELCOME)
    assert not kiosk.controller.pin.asking


def test_quitting_needs_the_pin_of_whoever_opened_staff_mode(qtbot: Any, make_kiosk: Any) -> None:
    kiosk = make_kiosk(fullscreen=True)
    quits: list[bool] = []
    kiosk.controller.quit_requested.connect(lambda: quits.append(True))
    kiosk.controller.quit_requested.disconnect(kiosk.window._quit)  # keep the test's app
    open_staff_mode(qtbot, kiosk)
    qtbot.mouseClick(kiosk.window.staff.quit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    pad = kiosk.window.pin_pad
    assert kiosk.window.current is pad and pad.data.purpose is PinPurpose.QUIT
    assert pad.title.text() == "Dana, votre code PIN pour quitter la borne"
    enter_pin(qtbot, kiosk, WRONG)
    assert quits == [] and pad.message.text().startswith("Code incorrect")
    kiosk.controller.staff.on_bus_state(True)  # staff mode's news do not cover the pad
    assert kiosk.window.current is pad
    qtbot.mouseClick(pad.cancel, Qt.MouseButton.LeftButton)  # back to staff mode, still open
    assert kiosk.controller.screen == Screen.STAFF and kiosk.window.current is kiosk.window.staff
    assert kiosk.window.staff.data.bus_connected  # with the news
    assert quits == []
    qtbot.mouseClick(kiosk.window.staff.quit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    enter_pin(qtbot, kiosk, STAFF_PIN)
    assert quits == [True]
