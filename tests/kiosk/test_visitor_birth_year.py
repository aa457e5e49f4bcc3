"""The optional birth year of the visitor sign-up form: shown only where `[signup]
ask_birth_year` says so, never required, a year outside 1900..this year refused."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from station.config.site import SignupConfig
from station.db import Member, MemberKind, Visit
from tests.kiosk.test_visitor import fill, rows
from tests.support.kiosk_env import KioskEnv, settle


def visitors(env: KioskEnv) -> list[Member]:
    return [m for m in rows(env, Member) if m.kind is MemberKind.VISITOR]


def _asking(make_kiosk: Any, kiosk_env: KioskEnv) -> Any:
    config = kiosk_env.config.model_copy(update={"signup": SignupConfig(ask_birth_year=True)})
    return make_kiosk(config=config)


def _submit(qtbot: Any, kiosk: Any) -> None:
    qtbot.mouseClick(kiosk.window.visitor.submit, Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)


def test_the_form_asks_no_birth_year_unless_configured(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    kiosk.controller.begin_visitor()
    view = kiosk.window.visitor
    assert not view.birth_year.isVisibleTo(view)
    assert "tranche d'âge" not in view.consent_text.text()
    view.birth_year.setText("1987")  # not on the screen: not sent either
    fill(view, qtbot)
    _submit(qtbot, kiosk)
    assert kiosk.window.current is kiosk.window.visitor_badge
    [visitor] = visitors(kiosk_env)
    assert visitor.birth_year is None
    assert [v.age_band for v in rows(kiosk_env, Visit)] == [""]


def test_a_birth_year_given_is_kept_and_its_band_counted(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv
) -> None:
    kiosk = _asking(make_kiosk, kiosk_env)
    kiosk.controller.begin_visitor()
    view = kiosk.window.visitor
    assert view.birth_year.isVisibleTo(view)
    assert view.birth_year_label.text() == "Année de naissance (facultatif)"
    assert "tranche d'âge" in view.consent_text.text()
    fill(view, qtbot)
    qtbot.keyClicks(view.birth_year, "1958")
    _submit(qtbot, kiosk)
    assert kiosk.window.current is kiosk.window.visitor_badge
    [visitor] = visitors(kiosk_env)
    assert visitor.birth_year == 1958
    assert [v.age_band for v in rows(kiosk_env, Visit)] == ["60+"]


def test_the_birth_year_may_be_left_empty(qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv) -> None:
    kiosk = _asking(make_kiosk, kiosk_env)
    kiosk.controller.begin_visitor()
    fill(kiosk.window.visitor, qtbot)
    _submit(qtbot, kiosk)
    assert kiosk.window.current is kiosk.window.visitor_badge
    [visitor] = visitors(kiosk_env)
    assert visitor.birth_year is None


def test_a_birth_year_that_is_not_one_is_refused_in_both_languages(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv
) -> None:
    kiosk = _asking(make_kiosk, kiosk_env)
    kiosk.controller.begin_visitor()
    view = kiosk.window.visitor
    fill(view, qtbot)
    for typed in ("19a7", "1899", "2999"):
        view.birth_year.setText(typed)
        _submit(qtbot, kiosk)
        assert view.error_field == "birth_year", typed
        assert "quatre chiffres" in view.error.text()
        assert kiosk.window.current is view
    assert visitors(kiosk_env) == [] and rows(kiosk_env, Visit) == []
    kiosk.controller.toggle_language()
    assert view.birth_year_label.text() == "Year of birth (optional)"
    assert "age band" in view.consent_text.text()
    assert view.error.text().startswith("Enter your year of birth in four digits")
