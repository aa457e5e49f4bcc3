"""`station report summary`: the year's page for funders, on the demo's history.

Self-contained (nothing fetched: no web address, the charts inline SVG), its key figures
those of `station report entries|usage` for the same days, small cells hidden unless
`--no-publish`; at the site and at central."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path
from typing import Any

import pytest

from station.cli.main import main
from tests.support.demo_site import DEMO_YEAR, make_demo

YEAR = DEMO_YEAR
SPAN = ["--from", "2026-01-01", "--to", "2026-11-25"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo"))


def summary(demo: Path, out: Path, *args: str) -> str:
    assert (
        main(["--config", str(demo), "report", "summary", *YEAR, "--output", str(out), *args]) == 0
    )
    return out.read_text(encoding="utf-8")


def report(demo: Path, capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    assert main(["--config", str(demo), "--json", "report", *args, *SPAN]) == 0
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return document


def figures(page: str) -> dict[str, str]:
    """The key figures as the page shows them: label -> text."""
    found = re.findall(r"<dt>(.*?)</dt><dd>(.*?)</dd>", page)
    return {html.unescape(label): html.unescape(value) for label, value in found}


def as_number(text: str) -> float:
    plain = text.replace("\u202f", "").replace(",", ".").removesuffix(" min").removesuffix(" h")
    return float(plain)


def test_the_page_is_self_contained(demo: Path, tmp_path: Path) -> None:
    page = summary(demo, tmp_path / "summary.html")
    assert page.startswith("<!DOCTYPE html>")
    assert '<meta charset="utf-8">' in page
    # Nothing the browser would fetch: no web address, no file beside it, no script.
    assert "http://" not in page and "https://" not in page
    for fetched in ("<img", "<link", "<script", "@import", "src=", "<iframe", "<object"):
        assert fetched not in page
    assert set(re.findall(r"url\((.)", page)) <= {"#"}  # only the SVGs' own clip paths
    # Links inside the SVGs: their own glyphs, and the heat-map's pixels as a data URI.
    for target in re.findall(r'href="([^"]{0,5})', page):
        assert target.startswith(("#", "data:")), target
    # The five charts inline, each with its title in words; ids unique in the page.
    charts = re.findall(r"<svg\b[^>]*>\s*<title[^>]*>([^<]+)</title>", page)
    assert len(charts) == len(re.findall(r"<svg\b", page)) == 5
    assert any("Entrées par mois" in title for title in charts)
    assert any("Heures machine par machine" in title for title in charts)
    ids = re.findall(r'\bid="([^"]+)"', page)
    assert len(ids) == len(set(ids))
    # Printable on A4.
    assert "@page { size: A4;" in page


def test_key_figures_are_those_of_the_reports(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    shown = figures(summary(demo, tmp_path / "summary.html"))
    entries = report(demo, capsys, "entries", "--by", "month", "--publish")["totals"]
    usage = report(demo, capsys, "usage", "--by", "machine", "--publish")["totals"]
    assert entries["entries"] > 2000 and entries["people"] > 100  # the demo's scale
    assert as_number(shown["Entrées"]) == entries["entries"]
    assert as_number(shown["Personnes"]) == entries["people"]
    assert as_number(shown["Adhérents"]) == entries["members"]
    assert as_number(shown["Visiteurs"]) == entries["visitors"]
    assert as_number(shown["Durée médiane d'une visite"]) == entries["median_minutes"]
    assert as_number(shown["Sessions"]) == usage["sessions"]
    assert as_number(shown["Heures machine"]) == pytest.approx(usage["hours"], abs=0.05)
    assert as_number(shown["Utilisateurs"]) == usage["users"]
    # Thousands grouped as in French, with a narrow no-break space.
    assert shown["Entrées"] == f"{entries['entries']:,d}".replace(",", "\u202f")


def test_small_cells_are_hidden_unless_asked_not_to(
    demo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = summary(demo, tmp_path / "published.html")
    internal = summary(demo, tmp_path / "internal.html", "--no-publish")
    communes = report(demo, capsys, "entries", "--by", "commune")
    small = [r for r in communes["rows"] if 0 < r["people"] < 5]
    assert small, "the demo has communes with fewer than 5 people"

    def row(page: str, insee: str) -> list[str]:
        found = re.search(rf"<td>{insee}</td>(.*?)</tr>", page, re.DOTALL)
        assert found is not None, insee
        return [html.unescape(c) for c in re.findall(r'<td class="n">(.*?)</td>', found[1])]

    for commune in small:
        assert row(published, commune["commune"])[1] == "< 5"
        assert row(internal, commune["commune"]) == [
            str(commune["entries"]),
            str(commune["people"]),
        ]
    assert "Secret statistique" in published and "Chiffres publiés" in published
    assert "&lt; 5</td>" not in internal and "Chiffres internes" in internal
    # Outside the territory: one row, without a code.
    assert re.search(r"<td>Hors territoire</td><td>—</td>", published)


def test_communes_named_with_their_insee_codes_and_english(demo: Path, tmp_path: Path) -> None:
    page = summary(demo, tmp_path / "summary.html", "--lang", "en")
    assert '<html lang="en">' in page
    assert "<h1>Activity report 2026</h1>" in page
    assert "<td>Saint-Omer</td><td>62765</td>" in page
    assert "Outside the territory" in page and "INSEE code" in page
    assert "from 1 January 2026 to 25 November 2026" in page


def test_at_central_every_site_or_one(demo: Path, tmp_path: Path) -> None:
    site = figures(summary(demo, tmp_path / "site.html"))
    every = summary(demo, tmp_path / "central.html", "--central")
    assert "tous les sites" in every
    assert figures(every) == site  # the demo's central holds this one site
    one = summary(demo, tmp_path / "one.html", "--central", "--site", "saint-omer-gare")
    assert figures(one) == site and "La Station" in one
    out = tmp_path / "refused.html"
    args = ["--config", str(demo), "report", "summary", "--year", "2027", "--to", "2026-11-25"]
    assert main([*args, "--output", str(out)]) != 0
    assert not out.exists()
