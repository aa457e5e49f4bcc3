"""Visitor sign-in without a badge: consent, validation, check-in, badge on the spot."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.screens import Screen
from station.communes import OTHER_COMMUNE
from station.db import Badge, Member, MemberKind, Visit, make_engine
from tests.support.kiosk_env import ALICE, BLANK, KioskEnv, settle, tap


def rows(env: KioskEnv, model: Any) -> list[Any]:
    engine = make_engine(env.db_url)
    try:
        with Session(engine) as session:
            return list(session.scalars(select(model)))
    finally:
        engine.dispose()


def fill(
    view: Any,
    qtbot: Any,
    *,
    name: str = "Chloé",
    email: str = "",
    commune: str = "62765",
    purpose: str = "fablab",
    consent: bool = True,
) -> None:
    # QTest aborts on empty or non-ASCII text: those are set rather than typed.
    for field, text in ((view.first_name, name), (view.email, email)):
        if text and text.isascii():
            qtbot.keyClicks(field, text)
        else:
            field.setText(text)
    view.commune.setCurrentIndex(view.commune.findData(commune))
    if purpose:
        qtbot.mouseClick(view.purpose_buttons[purpose], Qt.MouseButton.LeftButton)
    if consent:
        view.consent.setChecked(True)


def visitors(env: KioskEnv) -> list[Member]:
    return [m for m in rows(env, Member) if m.kind is MemberKind.VISITOR]


def test_sign_in_is_refused_without_consent(qtbot: Any, kiosk: Any, kiosk_env: KioskEnv) -> None:
    window = kiosk.window
    qtbot.mouseClick(window.idle.visitor, Qt.MouseButton.LeftButton)
    assert window.current is window.visitor
    view = window.visitor
    assert "effacés après 90 jours" in view.consent_text.text()
    assert not view.consent.isChecked()  # never ticked in advance
    fill(view, qtbot, consent=False)
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert view.error_field == "consent"
    assert "rien n'est enregistré" in view.error.text()
    assert window.current is window.visitor
    assert visitors(kiosk_env) == [] and rows(kiosk_env, Visit) == []


def test_sign_in_validates_fields(qtbot: Any, kiosk: Any, kiosk_env: KioskEnv) -> None:
    kiosk.controller.begin_visitor()
    view = kiosk.window.visitor
    fill(view, qtbot, name="", consent=True)
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert view.error_field == "first_name"
    view.first_name.setText("Chloé")
    qtbot.keyClicks(view.email, "chloe-at-nowhere")
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert view.error_field == "email"
    view.email.clear()
    view.commune.setCurrentIndex(0)
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert view.error_field == "commune"
    assert visitors(kiosk_env) == []


def test_sign_in_with_consent_checks_in_and_enrols_a_blank_badge(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    window = kiosk.window
    kiosk.controller.begin_visitor()
    view = window.visitor
    assert view.commune.itemData(view.commune.count() - 1) == OTHER_COMMUNE
    fill(view, qtbot, email="chloe@example.org", commune=OTHER_COMMUNE)
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert window.current is window.visitor_badge
    assert window.visitor_badge.hello.text() == "Bienvenue Chloé !"
    [visitor] = visitors(kiosk_env)
    assert visitor.consent_at is not None and visitor.email == "chloe@example.org"
    assert visitor.home_commune == OTHER_COMMUNE
    assert visitor.origin_site == "saint-omer-gare" and visitor.dirty  # sync uploads it
    [visit] = rows(kiosk_env, Visit)
    assert (visit.purpose, visit.member_kind) == ("fablab", "visitor")

    tap(qtbot, kiosk, BLANK, Screen.VISITOR_BADGE)
    assert window.visitor_badge.data.enrolled
    assert window.visitor_badge.recorded.text() == "Votre badge est enregistré"
    badge = next(b for b in rows(kiosk_env, Badge) if b.member_id == visitor.id)
    assert badge.origin_site == "saint-omer-gare" and badge.dirty
    kiosk.controller.done_timer.timeout.emit()
    assert window.current is window.idle
    # The new badge works at once: a tap within minutes shows the welcome again...
    tap(qtbot, kiosk, BLANK, Screen.WELCOME)
    assert window.welcome.buttons["fablab"].isChecked()
    kiosk.controller.go_idle()
    kiosk_env.clock.advance(hours=1)  # ...and later checks the visitor out.
    tap(qtbot, kiosk, BLANK, Screen.GOODBYE)
    assert window.goodbye.bye.text() == "Au revoir Chloé !"


def test_a_badge_already_held_is_not_taken(qtbot: Any, kiosk: Any, kiosk_env: KioskEnv) -> None:
    kiosk.controller.begin_visitor()
    fill(kiosk.window.visitor, qtbot)
    qtbot.mouseClick(kiosk.window.visitor.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    tap(qtbot, kiosk, ALICE, Screen.VISITOR_BADGE)  # Alice's badge
    view = kiosk.window.visitor_badge
    assert view.data.error == "conflict" and not view.data.enrolled
    assert view.recorded.text() == "Ce badge appartient déjà à quelqu'un"
    [visitor] = visitors(kiosk_env)
    assert [b for b in rows(kiosk_env, Badge) if b.member_id == visitor.id] == []
    qtbot.mouseClick(view.done, Qt.MouseButton.LeftButton)
    assert kiosk.window.current is kiosk.window.idle


def test_visitor_form_in_english(qtbot: Any, kiosk: Any) -> None:
    kiosk.controller.toggle_language()
    kiosk.controller.begin_visitor()
    view = kiosk.window.visitor
    assert view.consent.text() == "I agree to this record being kept"
    assert "erased after 90 days" in view.consent_text.text()
    assert view.purpose_buttons["event"].text() == "An event"
    qtbot.mouseClick(view.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert view.error.text() == "Tick the consent box to go on: without it, nothing is recorded."
