"""/reports: the published figures of every site or one, by one or two dimensions, shown
and downloaded (CSV, xlsx); an administrator chooses the site, a manager has their own."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.applications import Starlette
from starlette.testclient import TestClient

from console.app import create_app
from console.i18n import LANGUAGE_COOKIE
from console.reports import charted
from station.config.loader import load_config
from station.db import make_engine
from station.db.staff import Role
from station.reports.asked import Asked, compute
from station.reports.table import Report
from tests.console.conftest import BADGE_KEY, TIMEZONE, Clock, log_in
from tests.support.console_data import OTHER, SITE, seed

SAMPLE = Path(__file__).parents[2] / "config.toml"
SPAN = {"from": "2026-02-01", "to": "2026-03-10"}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def central_engine(request: pytest.FixtureRequest, site_db: str) -> Iterator[Engine]:
    """Central on SQLite, and on PostgreSQL as in production (tools/test starts it)."""
    url = site_db if request.param == "sqlite" else request.getfixturevalue("pg_migrated_url")
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def app(sessions: sessionmaker[Session], clock: Clock) -> Starlette:
    """The console with the sample configuration: purposes named as its kiosks name them."""
    config = load_config(SAMPLE, environ={})
    return create_app(sessions, badge_key=BADGE_KEY, timezone=TIMEZONE, clock=clock, config=config)


@pytest.fixture(autouse=True)
def seeded(sessions: sessionmaker[Session], clock: Clock) -> None:
    seed(sessions, clock(), BADGE_KEY)


def table_rows(html: str) -> list[list[str]]:
    """The table's cells, row by row, below its header (the total row last)."""
    body = html.split('<table id="figures">', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", body, flags=re.S)
    return [re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row) for row in rows[1:]]


def figures(html: str) -> dict[str, list[str]]:
    """The rows of a table by one dimension, by their name (the total row as "Total")."""
    return {row[0]: row[1:] for row in table_rows(html)}


def test_every_site_by_purpose_small_cells_hidden(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    page = client.get("/reports", params={**SPAN, "by": "purpose"})
    assert page.status_code == 200
    rows = figures(page.text)
    # entries, people, first_time, members, visitors, median_minutes
    assert rows["Coworking"][1:5] == ["10", "10", "s", "&lt; 5"]  # 2 visitors: hidden
    assert rows["Fablab"][1] == "5" and rows["Aide au numérique"][1] == "5"
    assert rows["Total"][:2] == ["29", "20"]  # 29 check-ins of 20 people
    assert "Secret statistique" in page.text
    assert "Entrées par motif de venue, tous les sites" in page.text
    assert (
        '<option value="arques">' in page.text and '<option value="gare" selected>' not in page.text
    )


def test_one_site_for_the_administrator(client: TestClient, accounts: dict[Role, str]) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    rows = figures(client.get("/reports", params={**SPAN, "by": "purpose", "site": OTHER}).text)
    # 2 for coworking are `< 5`; with the total (7), the 5 for digital help would tell.
    assert rows == {
        "Coworking": ["&lt; 5", "&lt; 5", "&lt; 5", "0", "&lt; 5", "s"],
        "Aide au numérique": ["s", "s", "s", "0", "s", "s"],
        "Total": ["7", "7", "7", "0", "7", "122,5"],
    }
    unknown = client.get("/reports", params={**SPAN, "site": "nowhere"})
    assert unknown.status_code == 422 and 'id="error-site"' in unknown.text


def test_a_manager_reads_their_own_site_whatever_asked(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    assert log_in(client, accounts[Role.MANAGER]) == 303
    page = client.get("/reports", params={**SPAN, "by": "purpose", "site": OTHER})
    assert page.status_code == 200
    rows = figures(page.text)
    assert list(rows) == ["Coworking", "Fablab", "Total"]
    assert rows["Coworking"][0] == "17" and rows["Total"][0] == "22"
    assert f'value="{SITE}" readonly' in page.text and 'name="site"' not in page.text
    assert 'href="/reports"' in page.text  # in the manager's menu


def test_other_roles_are_refused(client: TestClient, accounts: dict[Role, str]) -> None:
    for role in (Role.FABMANAGER, Role.RECEPTION):
        assert log_in(client, accounts[role]) == 303
        assert client.get("/reports").status_code == 403
        assert 'href="/reports"' not in client.get("/members").text


def test_two_dimensions_and_the_default_form(client: TestClient, accounts: dict[Role, str]) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    default = client.get("/reports")  # this year by month, every site
    assert default.status_code == 200
    assert 'value="2026-01-01"' in default.text and 'value="2026-03-10"' in default.text
    assert set(figures(default.text)) == {"février 2026", "mars 2026", "Total"}
    page = client.get("/reports", params={**SPAN, "by": "site", "then": "month"}).text
    rows = [row[:3] for row in table_rows(page)]
    assert rows == [
        ["arques", "février 2026", "7"],
        ["gare", "février 2026", "16"],
        ["gare", "mars 2026", "6"],  # 5 at the fablab, 1 in now
        ["Total", "29", "20"],  # the total row spans the two dimensions' columns
    ]


REFUSED = [
    ({"from": "2026-03-10", "to": "2026-02-01"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"by": "machine"}, "by"),  # entries are not by machine
    ({"by": "month", "then": "week"}, "then"),
    ({"by": "purpose", "then": "purpose"}, "then"),
    ({"report": "skills", "by": "training", "then": "skill"}, "then"),
]


def test_a_request_the_reports_cannot_answer_is_said_next_to_its_field(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    for params, field in REFUSED:
        page = client.get("/reports", params=params)
        assert page.status_code == 422, params
        assert f'id="error-{field}"' in page.text and 'id="figures"' not in page.text, params
        assert f'aria-invalid="true" aria-describedby="error-{field}"' in page.text, params
        assert f'value="{params.get("from", "2026-01-01")}"' in page.text  # the form kept


def test_the_other_reports(client: TestClient, accounts: dict[Role, str]) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    skills = figures(
        client.get("/reports", params={**SPAN, "report": "skills", "by": "purpose"}).text
    )
    assert skills["Aide au numérique"] == ["5", "5"]  # accompaniments, people helped
    for report, by in (("usage", "machine"), ("companies", "year")):
        page = client.get("/reports", params={**SPAN, "report": report, "by": by})
        assert page.status_code == 200 and "Total" in figures(page.text)


def test_csv_and_xlsx_downloads_are_the_published_table(
    client: TestClient, accounts: dict[Role, str]
) -> None:
    from openpyxl import load_workbook

    assert log_in(client, accounts[Role.ADMIN]) == 303
    arques = {**SPAN, "by": "purpose", "site": OTHER}
    csv = client.get("/reports", params={**arques, "format": "csv"})
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.headers["content-disposition"] == (
        'attachment; filename="entries-arques-2026-02-01-2026-03-10-purpose.csv"'
    )
    lines = csv.content.decode("utf-8").splitlines()
    assert lines[0] == "\ufeffpurpose,entries,people,first_time,members,visitors,median_minutes"
    assert lines[1:] == ["Coworking,< 5,< 5,< 5,0,< 5,s", "Aide au numérique,s,s,s,0,s,s"]
    xlsx = client.get("/reports", params={**arques, "format": "xlsx"})
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [[c.value for c in row] for row in sheet.iter_rows(max_row=5)]
    assert values[0][:2] == ["purpose", "entries"]
    assert values[1][:3] == ["Coworking", "< 5", "< 5"] and values[3][:2] == ["Total", 7]


def test_the_figures_in_english(client: TestClient, accounts: dict[Role, str]) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    client.cookies.set(LANGUAGE_COOKIE, "en")
    page = client.get("/reports", params={**SPAN, "by": "purpose"})
    assert '<html lang="en">' in page.text and "<h1>Reports</h1>" in page.text
    assert "Entries by purpose, all sites" in page.text
    assert "Digital-literacy help" in figures(page.text)  # the purpose's English name


def test_the_chart_of_the_table(client: TestClient, accounts: dict[Role, str]) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    page = client.get("/reports", params={**SPAN, "by": "purpose"}).text
    source = re.search(r'<img id="chart" src="([^"]+)"', page)
    assert source is not None
    url = source.group(1).replace("&amp;", "&")
    assert url == (
        "/reports/chart.svg?report=entries&from=2026-02-01&to=2026-03-10&site=&by=purpose&then="
    )
    drawn = client.get(url)
    assert drawn.status_code == 200 and drawn.headers["content-type"] == "image/svg+xml"
    assert b"<svg" in drawn.content
    # Its own policy: matplotlib's inline styles, and nothing else.
    assert drawn.headers["content-security-policy"].startswith("default-src 'none';")
    refused = client.get("/reports/chart.svg", params={"from": "2026-03-10", "to": "2026-01-01"})
    assert refused.status_code == 422
    log_in(client, accounts[Role.RECEPTION])
    assert client.get(url).status_code == 403


def test_the_yearly_summary_as_a_file(client: TestClient, accounts: dict[Role, str]) -> None:
    assert log_in(client, accounts[Role.ADMIN]) == 303
    assert 'action="/reports/summary"' in client.get("/reports").text
    answer = client.get("/reports/summary", params={"year": "2026"})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    disposition = answer.headers["content-disposition"]
    assert disposition == 'attachment; filename="bilan-tous-les-sites-2026.html"'
    assert "Bilan d&#39;activité 2026" in answer.text and "tous les sites" in answer.text
    one = client.get("/reports/summary", params={"year": "2026", "site": OTHER})
    assert one.headers["content-disposition"].endswith('filename="bilan-arques-2026.html"')
    for params, field in (({"year": "2027"}, "year"), ({"year": "x"}, "year")):
        refused = client.get("/reports/summary", params=params)
        assert refused.status_code == 422 and f'id="error-{field}"' in refused.text
    nowhere = client.get("/reports/summary", params={"year": "2026", "site": "nowhere"})
    assert nowhere.status_code == 422 and 'id="error-summary-site"' in nowhere.text
    log_in(client, accounts[Role.MANAGER])
    own = client.get("/reports/summary", params={"year": "2026", "site": OTHER})
    assert own.headers["content-disposition"].endswith(f'filename="bilan-{SITE}-2026.html"')
    log_in(client, accounts[Role.RECEPTION])
    assert client.get("/reports/summary", params={"year": "2026"}).status_code == 403


def test_the_chart_draws_the_first_measure_it_can_show(sessions: sessionmaker[Session]) -> None:
    by_purpose = Asked(
        Report.ENTRIES, dt.date(2026, 2, 1), dt.date(2026, 3, 10), ("purpose",), None
    )
    with sessions() as db:
        table = compute(db.connection(), by_purpose, None)
    assert all(values["entries"] is None for _, values in table.rows)  # all hidden
    assert charted(table).measures[:2] == ("people", "entries")
    by_site = replace(by_purpose, dims=("site",))
    with sessions() as db:
        table = compute(db.connection(), by_site, None)
    assert charted(table).measures == table.measures  # entries can be drawn
