"""Badge taps at the entrance: check-in, purpose, check-out, refusals, timeouts, language."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.screens import Screen
from station.db import Member, make_engine
from tests.support.kiosk_env import (
    ALICE,
    EXPIRED,
    REVOKED,
    KioskEnv,
    settle,
    sign_up,
    small_fablab,
    tap,
    visits,
)


def alice_last_purpose(env: KioskEnv) -> str | None:
    engine = make_engine(env.db_url)
    try:
        with Session(engine) as session:
            return session.scalar(select(Member.last_purpose).where(Member.first_name == "Alice"))
    finally:
        engine.dispose()


def test_member_checks_in_chooses_purpose_and_checks_out(
    qtbot: Any, kiosk: Any, kiosk_env: KioskEnv
) -> None:
    window = kiosk.window
    assert window.current is window.idle
    assert window.idle.prompt.text() == "Badgez ici"
    tap(qtbot, kiosk, ALICE, Screen.WELCOME)
    assert window.current is window.welcome
    assert window.welcome.hello.text() == "Bonjour Alice !"
    # Her membership predates plans: the site's default plan applies, and is shown.
    assert window.welcome.plan.text() == "Votre formule : Adhérent"
    # Recorded at the tap, with the first purpose as nobody chose before.
    [visit] = visits(kiosk_env)
    assert visit.purpose == "coworking" and visit.checked_out_at is None
    assert window.welcome.buttons["coworking"].isChecked()
    qtbot.mouseClick(window.welcome.buttons["fablab"], Qt.MouseButton.LeftButton)
    settle(qtbot, kiosk)
    assert "Fablab" in window.welcome.question.text()
    [visit] = visits(kiosk_env)
    assert (visit.purpose, visit.space, visit.kiosk_id) == ("fablab", "fablab", "entrance")
    kiosk.controller.done_timer.timeout.emit()
    assert window.current is window.idle
    settle(qtbot, kiosk)
    assert "1 personne" in window.idle.people.text()

    kiosk_env.clock.advance(hours=2, minutes=5)
    tap(qtbot, kiosk, ALICE, Screen.GOODBYE)
    assert window.goodbye.bye.text() == "Au revoir Alice !"
    assert window.goodbye.spent.text() == "Vous êtes resté·e 2 h 05 min"
    [visit] = visits(kiosk_env)
    assert visit.checkout_reason == "self"

    kiosk_env.clock.advance(days=1)
    kiosk.controller.go_idle()
    tap(qtbot, kiosk, ALICE, Screen.WELCOME)  # last time's choice is offered first
    assert window.welcome.buttons["fablab"].isChecked()
    assert visits(kiosk_env)[-1].purpose == "fablab" and alice_last_purpose(kiosk_env) == "fablab"


def test_expired_unknown_and_revoked_badges(qtbot: Any, kiosk: Any, kiosk_env: KioskEnv) -> None:
    window = kiosk.window
    tap(qtbot, kiosk, EXPIRED, Screen.PROBLEM)
    assert window.problem.kind == "expired"
    assert "Bob" in window.problem.headline.text() and "expiré" in window.problem.headline.text()
    assert "30/06/2026" in window.problem.explain.text()
    assert window.problem.visitor.isVisibleTo(window)  # never a dead end
    qtbot.mouseClick(window.problem.done, Qt.MouseButton.LeftButton)
    assert window.current is window.idle

    tap(qtbot, kiosk, "04DEADBEEF", Screen.PROBLEM)
    assert window.problem.kind == "unknown"
    assert window.problem.headline.text() == "Ce badge n'est pas enregistré"
    assert "accueil" in window.problem.whom.text()

    tap(qtbot, kiosk, REVOKED, Screen.PROBLEM)
    assert window.problem.kind == "revoked"
    assert window.problem.headline.text() == "Ce badge a été désactivé"
    qtbot.mouseClick(window.problem.visitor, Qt.MouseButton.LeftButton)
    assert window.current is window.visitor
    assert visits(kiosk_env) == []


def test_inactivity_returns_to_idle(qtbot: Any, kiosk: Any) -> None:
    tap(qtbot, kiosk, "04DEADBEEF", Screen.PROBLEM)
    assert kiosk.controller.idle_timer.isActive()
    assert kiosk.controller.idle_timer.interval() == 20_000
    kiosk.controller.idle_timer.timeout.emit()
    assert kiosk.window.current is kiosk.window.idle


def test_language_switch_and_back_to_french_for_the_next_person(qtbot: Any, kiosk: Any) -> None:
    window = kiosk.window
    assert window.language_button.text() == "English"
    qtbot.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    assert kiosk.controller.language == "en"
    assert window.idle.prompt.text() == "Tap your badge here"
    assert window.language_button.text() == "Français"
    tap(qtbot, kiosk, ALICE, Screen.WELCOME)
    assert window.welcome.hello.text() == "Hello Alice!"
    assert window.welcome.plan.text() == "Your plan: Member"
    assert window.welcome.buttons["digital-help"].text() == "Digital-literacy help"
    kiosk.controller.idle_timer.timeout.emit()
    assert kiosk.controller.language == "fr"
    assert window.idle.prompt.text() == "Badgez ici"


def test_automatic_check_out_at_closing_time(qtbot: Any, kiosk: Any, kiosk_env: KioskEnv) -> None:
    tap(qtbot, kiosk, ALICE, Screen.WELCOME)
    kiosk.controller.go_idle()
    kiosk.controller.refresh_timer.timeout.emit()  # 10:00: nothing happens
    settle(qtbot, kiosk)
    assert visits(kiosk_env)[0].checked_out_at is None
    kiosk_env.clock.now = dt.datetime(2026, 11, 24, 16, 59, tzinfo=dt.UTC)  # 17:59 Paris
    kiosk.controller.refresh_timer.timeout.emit()
    settle(qtbot, kiosk)
    assert visits(kiosk_env)[0].checked_out_at is None
    kiosk_env.clock.now = dt.datetime(2026, 11, 24, 21, 0, tzinfo=dt.UTC)  # 22:00 Paris
    kiosk.controller.refresh_timer.timeout.emit()
    settle(qtbot, kiosk)
    [visit] = visits(kiosk_env)
    assert visit.checkout_reason == "closing"
    # At that Tuesday's closing time in the opening hours (09:00-18:00), not when seen.
    assert visit.checked_out_at == dt.datetime(2026, 11, 24, 17, 0, tzinfo=dt.UTC)
    assert kiosk.window.idle.people.text() == "Personne sur place pour l'instant"


def test_idle_screen_shows_hours_and_calendar(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv, tmp_path: Any
) -> None:
    feed = tmp_path / "agenda.ics"
    feed.write_text(
        "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;TZID=Europe/Paris:20261124T140000\n"
        "SUMMARY:Atelier Arduino\nLOCATION:Fablab\nEND:VEVENT\nEND:VCALENDAR\n"
    )
    config = kiosk_env.config
    entrance = config.kiosks["entrance"].model_copy(update={"calendar_url": feed.as_uri()})
    kiosk = make_kiosk(config=config.model_copy(update={"kiosks": {"entrance": entrance}}))
    idle = kiosk.window.idle
    assert idle.hours.text() == "Aujourd'hui : 09:00–18:00"
    assert idle.time.text() == "10:00"  # the clock is 09:00 UTC
    qtbot.waitUntil(lambda: idle.events_card.isVisibleTo(kiosk.window), timeout=5000)
    texts = [
        idle.events_layout.itemAt(i).widget().text() for i in range(idle.events_layout.count())
    ]
    assert "14:00  Atelier Arduino — Fablab" in texts


def space_cards(idle: Any) -> list[tuple[str, str, int, int]]:
    """(name, figure, gauge value, gauge maximum) of each space card on the idle screen."""
    from PySide6.QtWidgets import QLabel, QProgressBar

    cards = []
    for index in range(idle.spaces_layout.count()):
        card = idle.spaces_layout.itemAt(index).widget()
        name, figure = (w.text() for w in card.findChildren(QLabel))
        gauge = card.findChild(QProgressBar)
        cards.append((name, figure, gauge.value(), gauge.maximum()))
    return cards


def test_idle_screen_shows_how_full_each_space_is(
    qtbot: Any, make_kiosk: Any, kiosk_env: KioskEnv
) -> None:
    kiosk = make_kiosk(config=small_fablab(kiosk_env.config))
    window, idle = kiosk.window, kiosk.window.idle
    assert idle.spaces.isVisibleTo(window)
    assert space_cards(idle) == [
        ("Espace de coworking", "0 / 40", 0, 40),
        ("Fablab", "0 / 2", 0, 2),
        ("Salle de créativité", "0 / 20", 0, 20),
        ("Aide au numérique", "0 / 8", 0, 8),
    ]  # no hall: capacity 0
    tap(qtbot, kiosk, ALICE, Screen.WELCOME)  # coworking, her first purpose
    kiosk.controller.go_idle()
    sign_up(qtbot, kiosk, "Chloé", "fablab")
    sign_up(qtbot, kiosk, "Hugo", "fablab")
    assert window.current is idle
    assert "3 personnes sur place" in idle.people.text()
    cards = space_cards(idle)
    assert cards[0] == ("Espace de coworking", "1 / 40", 1, 40)
    assert cards[1] == ("Fablab", "2 / 2 · complet", 2, 2)  # in words, not only colour
    assert [card[1] for card in cards[2:]] == ["0 / 20", "0 / 8"]
    qtbot.mouseClick(window.language_button, Qt.MouseButton.LeftButton)
    assert space_cards(idle)[:2] == [
        ("Coworking space", "1 / 40", 1, 40),
        ("Fablab", "2 / 2 · full", 2, 2),
    ]
    kiosk_env.clock.advance(hours=1)
    tap(qtbot, kiosk, ALICE, Screen.GOODBYE)  # a departure frees her place
    kiosk.controller.go_idle()
    settle(qtbot, kiosk)
    assert space_cards(idle)[0] == ("Espace de coworking", "0 / 40", 0, 40)


def test_idle_screen_without_capacities_shows_no_spaces(
    make_kiosk: Any, kiosk_env: KioskEnv
) -> None:
    config = kiosk_env.config
    spaces = {key: space.model_copy(update={"capacity": 0}) for key, space in config.spaces.items()}
    kiosk = make_kiosk(config=config.model_copy(update={"spaces": spaces}))
    assert not kiosk.window.idle.spaces.isVisibleTo(kiosk.window)
    assert space_cards(kiosk.window.idle) == []
