"""`station report summary`: the year's page for funders, on the demo's history.

Self-contained (nothing fetched: no web address, the charts inline SVG), its key figures
those of `station report entries|usage|skills|companies` for the same days, small cells
hidden unless `--no-publish`; at the site and at central."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from station import outcomes
from station.cli.main import main
from station.config import load_config
from station.db import Member, make_engine
from station.reports.labels import Labels
from station.reports.summary_outcomes import tied
from station.reports.table import TOTAL, Dimension, Measure, Report, ReportTable, Secrecy
from tests.support.demo_site import DEMO_NOW, DEMO_YEAR, make_demo

YEAR = DEMO_YEAR
SPAN = ["--from", "2026-01-01", "--to", "2026-11-25"]


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_demo(tmp_path_factory.mktemp("demo"))


# What staff recorded at the demo's site (the demo itself records none): 6 Pix
# certifications and 2 email skills this year, one skill last year; 3 companies this
# year, one last year.
SKILLS = [("pix", f"2026-0{month}-1{n}") for n, month in enumerate((2, 3, 3, 5, 6, 9))]
SKILLS += [("messagerie", "2026-04-02"), ("messagerie", "2026-10-07"), ("pix", "2025-12-15")]
COMPANIES = [
    ("732829320", "2026-02-01"),
    ("552100554", "2026-06-15"),
    ("443061841", "2026-11-20"),
    ("542065479", "2025-09-01"),
]
OUTCOMES = [
    "Formations validées",
    "Accompagnements numériques",
    "Personnes accompagnées",
    "Compétences acquises",
    "Entreprises créées",
]


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another demo (the first one's central must stay the site's copy), with skills and
    companies recorded at the site."""
    config_path = make_demo(tmp_path_factory.mktemp("recorded"))
    config = load_config(str(config_path))
    engine = make_engine(config.resolve_url(config.database.url))
    with Session(engine) as session, session.begin():
        people = list(
            session.scalars(select(Member).order_by(Member.last_name, Member.first_name).limit(12))
        )
        for person, (skill, day) in zip(people, SKILLS, strict=False):
            outcomes.record_skill(
                session,
                person,
                skill,
                catalogue=config.skills,
                site_id=config.site.id,
                on=dt.date.fromisoformat(day),
            )
        for person, (siren, day) in zip(people, COMPANIES, strict=False):
            outcomes.record_company(
                session,
                person,
                name=f"Société {siren}",
                siren=siren,
                created_on=dt.date.fromisoformat(day),
                offer="coworking",
                offers=[p.id for p in config.purposes],
                site_id=config.site.id,
                now=DEMO_NOW,
            )
    engine.dispose()
    return config_path


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


def small_table(page: str, heading: str) -> dict[str, str]:
    """One of the small tables of skills and companies: name -> figure, with the total."""
    found = re.search(rf'<th scope="col">{heading}</th>(.*?)</table>', page, re.DOTALL)
    assert found is not None, heading
    rows = re.findall(r'<tr(?: class="total")?><td>(.*?)</td><td class="n">(.*?)</td>', found[1])
    return {html.unescape(name): html.unescape(value) for name, value in rows}


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
    # Every reference inside a chart reaches an id of the page (its own, prefixed).
    referenced = re.findall(r'url\(#([^)]+)\)|href="#([^"]+)"', page)
    assert referenced and {a or b for a, b in referenced} <= set(ids)
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
    # The demo's central holds this one site; its trainings were granted at central (no
    # site granted them), so they count for every site, and for none of them alone.
    trainings = "Formations validées"
    assert site[trainings] == "0" and as_number(figures(every)[trainings]) > 20
    assert figures(every) == site | {trainings: figures(every)[trainings]}
    one = summary(demo, tmp_path / "one.html", "--central", "--site", "saint-omer-gare")
    assert figures(one) == site and "La Station" in one
    out = tmp_path / "refused.html"
    args = ["--config", str(demo), "report", "summary", "--year", "2027", "--to", "2026-11-25"]
    assert main([*args, "--output", str(out)]) != 0
    assert not out.exists()


def test_skills_and_companies_are_those_of_their_reports(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    internal = summary(recorded, tmp_path / "internal.html", "--no-publish")
    shown = figures(internal)
    skills = report(recorded, capsys, "skills", "--by", "year")["totals"]
    companies = report(recorded, capsys, "companies", "--by", "offer")["totals"]
    assert skills["accompaniments"] > 100 and skills["helped"] > 50  # the demo's scale
    assert skills["skills"] == 8 and companies["companies"] == 3  # this year's only
    expected = [skills[m] for m in ("trainings", "accompaniments", "helped", "skills")]
    assert [as_number(shown[label]) for label in OUTCOMES] == [*expected, companies["companies"]]
    # Per skill, per offer, per training (none granted at the site in the demo).
    assert small_table(internal, "Compétence") == {
        "Certification Pix": "6",
        "Messagerie": "2",
        "Total": "8",
    }
    assert small_table(internal, "Offre d&#39;accueil") == {"Coworking": "3", "Total": "3"}
    assert small_table(internal, "Formation") == {"Total": "0"}
    assert '<td colspan="2">Aucune sur la période.</td>' in internal


def test_skills_and_companies_published_hide_small_cells(
    recorded: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    published = summary(recorded, tmp_path / "published.html")
    shown = figures(published)
    skills = report(recorded, capsys, "skills", "--by", "skill", "--publish")
    companies = report(recorded, capsys, "companies", "--by", "offer", "--publish")
    # 2 email skills: `< 5`, and the Pix ones hidden with them (6 = 8 - 2); the total shown.
    assert small_table(published, "Compétence") == {
        "Certification Pix": "s",
        "Messagerie": "< 5",
        "Total": "8",
    }
    assert skills["totals"]["skills"] == 8 and as_number(shown["Compétences acquises"]) == 8
    # 3 companies: the cell and the year's figure are both `< 5`, as the report hides them.
    assert companies["totals"]["companies"] is None
    assert small_table(published, "Offre d&#39;accueil") == {"Coworking": "< 5", "Total": "< 5"}
    assert shown["Entreprises créées"] == "< 5"
    visible = report(recorded, capsys, "skills", "--by", "year", "--publish")["totals"]
    assert as_number(shown["Accompagnements numériques"]) == visible["accompaniments"]
    assert "Secret statistique" in published


def test_digital_help_hidden_by_purpose_is_hidden_among_the_skills() -> None:
    """Accompaniments are the digital-help purpose's check-ins: where the table by purpose
    hides them (a complement of a small cell there), the skills figure would give them
    away, so it is hidden too; the people helped likewise with the purpose's people."""
    by_purpose = ReportTable(
        name=Report.ENTRIES,
        dimensions=(Dimension.PURPOSE,),
        measures=(Measure.ENTRIES, Measure.PEOPLE),
        rows=(
            (("digital-help",), {Measure.ENTRIES: None, Measure.PEOPLE: 40}),
            (("event",), {Measure.ENTRIES: None, Measure.PEOPLE: None}),
        ),
        totals={Measure.ENTRIES: 150, Measure.PEOPLE: 43},
        method="raw",
        suppressed={
            (("digital-help",), Measure.ENTRIES): Secrecy.COMPLEMENT,
            (("event",), Measure.ENTRIES): Secrecy.SMALL,
            (("event",), Measure.PEOPLE): Secrecy.SMALL,
        },
    )
    counts = {"trainings": 12, "accompaniments": 147, "helped": 40, "skills": 9}
    year = ReportTable(
        name=Report.SKILLS,
        dimensions=(Dimension.YEAR,),
        measures=tuple(counts),
        rows=((("2026",), dict(counts)),),
        totals=dict(counts),
        method="skills_raw",
    )
    shown = tied(year, by_purpose, ["digital-help"])
    assert shown.secrecy(TOTAL, Measure.ACCOMPANIMENTS) is Secrecy.COMPLEMENT
    assert shown.totals[Measure.ACCOMPANIMENTS] is None
    assert shown.rows[0][1][Measure.ACCOMPANIMENTS] is None
    # The rest stays: the purpose's people are shown, and so are the people helped.
    assert {m: shown.totals[m] for m in ("trainings", "helped", "skills")} == {
        "trainings": 12,
        "helped": 40,
        "skills": 9,
    }
    assert tied(year, by_purpose, ["coworking"]) == year
    assert Labels().word("summary.outcomes") == "Compétences numériques et entreprises créées"
