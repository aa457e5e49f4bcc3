"""French first, English on a choice: the console's two languages.

Templates and pages write their text in French, `t("Personnes")`; the English of each
string is in `console/lang/en/*.toml`, one file per area of the console, as
`"Personnes" = "People"`. A string with no English entry shows in French (and the
tests list every such string: `tests/console/test_i18n.py`). The language is the
`station_lang` cookie, set by /language/<code>, else the browser's Accept-Language.
"""

from __future__ import annotations

import enum
import tomllib
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

LANG_DIR = Path(__file__).parent / "lang"
LANGUAGE_COOKIE = "station_lang"

Translate = Callable[[str], str]


class Language(enum.StrEnum):
    FR = "fr"
    EN = "en"


@cache
def catalogue(language: Language) -> Mapping[str, str]:
    """Every French string's translation into `language` (empty for French)."""
    entries: dict[str, str] = {}
    for path in sorted((LANG_DIR / language.value).glob("*.toml")):
        with path.open("rb") as file:
            table = tomllib.load(file)
        for french, translated in table.items():
            if not isinstance(translated, str):
                raise ValueError(f"{path}: {french!r}: expected a string, got {translated!r}")
            entries[french] = translated
    return entries


def translator(language: Language) -> Translate:
    entries = catalogue(language)
    return lambda french: entries.get(french, french)


def choose(cookie: str | None, accept_language: str) -> Language:
    """The cookie's language if valid, else the first of Accept-Language we have."""
    if cookie is not None and cookie in Language._value2member_map_:
        return Language(cookie)
    for part in accept_language.split(","):
        code = part.split(";")[0].strip().lower()[:2]
        if code in Language._value2member_map_:
            return Language(code)
    return Language.FR
