"""French first, English on a click: every string the console shows has its English,
and the language is the cookie's (/language/<code>), else the browser's."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from jinja2 import Environment, nodes
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from console import guard
from console.app import create_app
from console.i18n import LANG_DIR, LANGUAGE_COOKIE, Language, Translate, catalogue, translator
from console.labels import TABLES
from station.config.loader import load_config
from station.db.staff import Role
from tests.console.conftest import BADGE_KEY, TIMEZONE, Clock, log_in
from tests.support.console_data import seed
from tests.support.console_pages import PAGES

ROOT = Path(__file__).parents[2]
CONSOLE = ROOT / "console"
TEMPLATES = CONSOLE / "templates"
# Names, not words: the same in both languages.
NOT_WORDS = {"Station", "Console", "English", "Français"}
VISIBLE_ATTRIBUTES = {"alt", "title", "placeholder", "aria-label", "aria-description"}


@pytest.fixture
def app(sessions: sessionmaker[Session], clock: Clock) -> Starlette:
    """The console with the sample configuration, as the screenshots' walk has it."""
    config = load_config(ROOT / "config.toml", environ={})
    return create_app(sessions, badge_key=BADGE_KEY, timezone=TIMEZONE, clock=clock, config=config)


def template_strings() -> Iterator[tuple[str, str]]:
    """(file, French) for every t("...") of every template."""
    env = Environment()
    for path in sorted(TEMPLATES.rglob("*.html")):
        tree = env.parse(path.read_text(encoding="utf-8"))
        for call in tree.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name == "t":
                first = call.args[0] if call.args else None
                if isinstance(first, nodes.Const) and isinstance(first.value, str):
                    yield path.name, first.value


def python_strings() -> Iterator[tuple[str, str]]:
    """(file, French) for every t("...") or x.t("...") of the console's Python."""
    for path in sorted(CONSOLE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if isinstance(node.func, ast.Name):
                name = node.func.id
            first = node.args[0]
            if name == "t" and isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield str(path.relative_to(CONSOLE)), first.value


def label_strings() -> Iterator[tuple[str, str]]:
    for enum_type, table in TABLES.items():
        for member in enum_type:
            yield enum_type.__name__, table.get(member, f"<no label for {member!r}>")


def test_the_scan_sees_the_strings_it_must() -> None:
    assert ("login.html", "Connexion") in set(template_strings())
    assert ("login.py", "Adresse ou mot de passe incorrect.") in set(python_strings())


def test_every_french_string_has_its_english() -> None:
    english = catalogue(Language.EN)
    found = [*template_strings(), *python_strings(), *label_strings()]
    missing = sorted({f"{where}: {french!r}" for where, french in found if french not in english})
    assert missing == [], "no English in console/lang/en/*.toml for:\n" + "\n".join(missing)


def test_every_enum_value_shown_has_a_label() -> None:
    unlabelled = [
        f"{enum_type.__name__}.{member.name}"
        for enum_type, table in TABLES.items()
        for member in enum_type
        if member not in table
    ]
    assert unlabelled == [], "add their French label to console/labels.py"


def test_no_two_files_translate_one_string_differently() -> None:
    seen: dict[str, tuple[str, str]] = {}
    clashes = []
    for path in sorted((LANG_DIR / "en").glob("*.toml")):
        with path.open("rb") as file:
            for french, english in tomllib.load(file).items():
                if french in seen and seen[french][1] != english:
                    clashes.append(f"{french!r}: {seen[french]} and {(path.name, english)}")
                seen.setdefault(french, (path.name, english))
    assert clashes == []


class _Text(HTMLParser):
    """The text a person reads in a template, its expressions blanked out."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._skip += tag in {"script", "style"}
        self.found += [v for k, v in attrs if k in VISIBLE_ATTRIBUTES and v]

    def handle_endtag(self, tag: str) -> None:
        self._skip -= tag in {"script", "style"}

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.found.append(data)


@pytest.mark.parametrize(
    "template", sorted(str(p.relative_to(TEMPLATES)) for p in TEMPLATES.rglob("*.html"))
)
def test_templates_show_no_words_outside_t(template: str) -> None:
    source = (TEMPLATES / template).read_text(encoding="utf-8")
    blanked = re.sub(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", " ", source, flags=re.S)
    parser = _Text()
    parser.feed(blanked)
    words = [w for text in parser.found for w in re.findall(r"[^\W\d_]{2,}", text)]
    assert [w for w in words if w not in NOT_WORDS] == [], "wrap them in t(...)"


def test_a_page_in_english_with_the_language_cookie(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    french = client.get("/audit").text
    assert '<html lang="fr">' in french and "<h1>Journal</h1>" in french
    assert "connexion" in french  # the action's label
    client.cookies.set(LANGUAGE_COOKIE, "en")
    english = client.get("/audit").text
    assert '<html lang="en">' in english and "<h1>Audit log</h1>" in english
    assert "<td>login</td>" in english and "Journal" not in english
    assert 'hreflang="fr"' in english  # the way back


def test_language_link_sets_the_cookie_and_returns(client: TestClient) -> None:
    answer = client.get("/language/en", params={"next": "/login"})
    assert answer.status_code == 303 and answer.headers["location"] == "/login"
    assert client.cookies.get(LANGUAGE_COOKIE) == "en"
    page = client.get("/login").text
    assert '<html lang="en">' in page and "Email address" in page and "Mot de passe" not in page
    assert client.get("/language/xx").status_code == 303  # an unknown code changes nothing
    assert client.cookies.get(LANGUAGE_COOKIE) == "en"
    outside = client.get("/language/fr", params={"next": "https://example.com/"})
    assert outside.headers["location"] == "/"  # never a way out of the site


@pytest.mark.parametrize(
    ("accept", "lang"),
    [("en", "en"), ("en-GB,en;q=0.9,fr;q=0.5", "en"), ("fr-FR,fr", "fr"), ("de", "fr"), ("", "fr")],
)
def test_accept_language_picks_the_language(client: TestClient, accept: str, lang: str) -> None:
    page = client.get("/login", headers={"Accept-Language": accept}).text
    assert f'<html lang="{lang}">' in page
    assert ("Log in" if lang == "en" else "Connexion") in page


def test_the_cookie_wins_over_accept_language(client: TestClient) -> None:
    client.cookies.set(LANGUAGE_COOKIE, "fr")
    assert '<html lang="fr">' in client.get("/login", headers={"Accept-Language": "en"}).text


def test_every_page_in_english_translates_everything_it_says(
    client: TestClient,
    accounts: dict[Role, str],
    sessions: sessionmaker[Session],
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What the scan cannot see: French handed to `here.t` from a table or a domain
    value, on every page of the screenshots' list, with their data."""
    seeded = seed(sessions, clock(), BADGE_KEY)
    english = catalogue(Language.EN)
    missing: set[str] = set()
    asked: set[str] = set()

    def recording(language: Language) -> Translate:
        plain = translator(language)

        def t(french: str) -> str:
            if language is Language.EN:
                asked.add(french)
                if french not in english:
                    missing.add(french)
            return plain(french)

        return t

    monkeypatch.setattr(guard, "translator", recording)
    logged_in: Role | None = None
    for page in sorted(PAGES, key=lambda p: p.role or ""):
        if page.role is None:
            client.cookies.clear()
        elif page.role is not logged_in:
            assert log_in(client, accounts[page.role]) == 303
        logged_in = page.role
        client.cookies.set(LANGUAGE_COOKIE, "en")
        answer = client.get(page.path.format(member=seeded.member, site=seeded.site))
        assert answer.status_code == 200, page.name
        assert '<html lang="en">' in answer.text, page.name
    assert len(asked) > 20 * len(PAGES) // 2  # the pages were read in English
    assert sorted(missing) == [], "no English for these strings"
