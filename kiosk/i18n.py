"""French first, English on a tap: Qt's translation system.

Source strings are French (the kiosk's default language works with no file at
all); ``i18n/kiosk_en.ts`` holds the English translations, compiled to
``kiosk_en.qm`` by ``pyside6-lrelease`` (see tools/kiosk_i18n.sh).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QTranslator

log = logging.getLogger(__name__)
I18N_DIR = Path(__file__).resolve().parent / "i18n"
LANGUAGES = ("fr", "en")


class Translations:
    """Installs the translator of the current language into the application."""

    def __init__(self, app: QCoreApplication) -> None:
        self.app = app
        self.language = "fr"
        self._translator: QTranslator | None = None

    def close(self) -> None:
        """Remove our translator: the application may outlive this kiosk (tests, tools)."""
        self.set_language("fr")

    def set_language(self, language: str) -> bool:
        """Switch language; False (and French kept) if the translation is missing."""
        if language not in LANGUAGES:
            raise ValueError(f"unsupported language {language!r}; expected one of {LANGUAGES}")
        if self._translator is not None:
            self.app.removeTranslator(self._translator)
            self._translator = None
        self.language = "fr"
        if language == "fr":
            return True
        translator = QTranslator(self.app)
        if not translator.load(str(I18N_DIR / f"kiosk_{language}.qm")):
            log.error("no compiled translation %s in %s", language, I18N_DIR)
            return False
        self.app.installTranslator(translator)
        self._translator = translator
        self.language = language
        return True
