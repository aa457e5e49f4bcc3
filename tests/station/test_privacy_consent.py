"""The kiosk's consent text, in French and in English as the kiosk shows it, states the
retention periods of the configuration, and docs/privacy.md the same figures."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from station.communes import load_communes
from station.config import StationConfig, load_config

ROOT = Path(__file__).resolve().parents[2]
# (movement_days, visitor_days) as each language says them.
SAYS = {
    "fr": (r"passages sont effacés après (\d+) jours", r"fiche après (\d+) jours sans visite"),
    "en": (r"visits are erased after (\d+) days", r"record after (\d+) days without a visit"),
}


@pytest.fixture
def consent_text(qtbot: Any) -> Iterator[Callable[[StationConfig, str], str]]:
    from PySide6.QtWidgets import QApplication

    from kiosk.i18n import Translations
    from kiosk.screens import Purpose
    from kiosk.views.visitor import VisitorView

    translations = Translations(QApplication.instance())  # type: ignore[arg-type]

    def shown(config: StationConfig, language: str) -> str:
        assert translations.set_language(language)
        # As kiosk.window builds it: the figures come from [retention].
        view = VisitorView(
            tuple(Purpose(p.id, p.fr, p.en) for p in config.purposes),
            load_communes(),
            (config.retention.movement_days, config.retention.visitor_days),
            lambda: language,
        )
        qtbot.addWidget(view)
        view.retranslate()
        return view.consent_text.text()

    yield shown
    translations.close()


def figures(text: str, language: str) -> tuple[int, int]:
    found = [re.search(pattern, text) for pattern in SAYS[language]]
    assert all(found), f"{language} consent text no longer states both periods: {text}"
    movement, visitor = (int(match.group(1)) for match in found if match)
    return movement, visitor


def documented() -> tuple[int, int]:
    text = (ROOT / "docs" / "privacy.md").read_text(encoding="utf-8")
    movement = re.search(r"`retention\.movement_days` = \*\*(\d+)\*\* days", text)
    visitor = re.search(r"`retention\.visitor_days` = \*\*(\d+)\*\* days", text)
    assert movement and visitor, "docs/privacy.md no longer states both periods"
    return int(movement.group(1)), int(visitor.group(1))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_consent_text_docs_and_configuration_state_the_same_periods(
    consent_text: Callable[[StationConfig, str], str], language: str
) -> None:
    config = load_config(ROOT / "config.toml")
    configured = (config.retention.movement_days, config.retention.visitor_days)
    assert figures(consent_text(config, language), language) == configured
    assert documented() == configured
    defaults = type(config.retention)()
    assert (defaults.movement_days, defaults.visitor_days) == configured  # what the docs say


@pytest.mark.parametrize("language", ["fr", "en"])
def test_consent_text_follows_the_configured_periods(
    consent_text: Callable[[StationConfig, str], str],
    config_factory: Callable[..., Path],
    language: str,
) -> None:
    config = load_config(config_factory({"retention": {"movement_days": 60, "visitor_days": 200}}))
    assert figures(consent_text(config, language), language) == (60, 200)
