"""Each format of a report: CSV (BOM, accents, `--excel`), JSON, xlsx, PNG, SVG, the table;
labels in French and English."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest
from rich.console import Console

from station.communes import OTHER_COMMUNE
from station.reports.charts import ChartKind, chart_kind, write_chart
from station.reports.labels import Labels
from station.reports.publish import publish
from station.reports.table import UNKNOWN, ReportTable
from station.reports.text import to_csv, to_json, to_rich
from station.reports.words import Lang
from station.reports.xlsx import write_xlsx

SITE = "saint-omer-gare"
NAMES = {
    "purposes": {"digital-help": ("Aide au numérique", "Digital-literacy help")},
    "spaces": {"creativity": ("Salle de créativité", "Creativity room")},
    "trainings": {"laser": ("Découpeuse laser", "Laser cutter")},
    "plans": {"resident": ("Résident coworking", "Coworking resident")},
    "machines": {"laser-cutter": ("Découpeuse laser", "Découpeuse laser")},
    "sites": {SITE: "La Station"},
}
FR = Labels(lang=Lang.FR, **NAMES)  # type: ignore[arg-type]
EN = Labels(lang=Lang.EN, **NAMES)  # type: ignore[arg-type]
OCTOBER = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))


def communes() -> ReportTable:
    rows = (
        (("62765",), {"entries": 120, "people": 40}),
        (("62297",), {"entries": 30, "people": 12}),
        ((OTHER_COMMUNE,), {"entries": 9, "people": 3}),
        ((UNKNOWN,), {"entries": 14, "people": 6}),
    )
    totals = {"entries": 173, "people": 61}
    return ReportTable("entries", ("commune",), ("entries", "people"), rows, totals, "raw", SITE,
                       *OCTOBER)  # fmt: skip


def machines() -> ReportTable:
    rows = ((("laser-cutter",), {"sessions": 12, "hours": 9.75}),)
    return ReportTable("usage", ("machine",), ("sessions", "hours"), rows,
                       {"sessions": 12, "hours": 9.75}, "raw", SITE, *OCTOBER)  # fmt: skip


def by_month() -> ReportTable:
    rows = tuple(((f"2026-{m:02d}",), {"entries": 100 + m}) for m in range(1, 13))
    return ReportTable("entries", ("month",), ("entries",), rows, {"entries": 1278}, "raw", SITE,
                       dt.date(2026, 1, 1), dt.date(2026, 12, 31))  # fmt: skip


def occupancy() -> ReportTable:
    rows = tuple(
        ((str(day), f"{hour:02d}"), {"entries": day * hour})
        for day in range(1, 7)
        for hour in range(9, 19)
    )
    total = sum(r[1]["entries"] for r in rows)
    return ReportTable("entries", ("weekday", "hour"), ("entries",), rows, {"entries": total},
                       "raw", SITE, *OCTOBER)  # fmt: skip


def test_csv_starts_with_a_bom_and_keeps_the_accents(tmp_path: Path) -> None:
    text = to_csv(communes(), FR)
    path = tmp_path / "communes.csv"
    path.write_bytes(text.encode("utf-8"))
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == {"commune": "Saint-Omer (62765)", "entries": "120", "people": "40"}
    assert rows[1]["commune"] == "Éperlecques (62297)"
    assert rows[2]["commune"] == "Hors territoire"
    assert rows[3]["commune"] == "Non renseigné"


def test_csv_for_excel_uses_semicolons_and_decimal_commas() -> None:
    text = to_csv(machines(), FR, excel=True)
    lines = text.removeprefix("\ufeff").splitlines()
    assert lines == ["machine;sessions;hours", "Découpeuse laser;12;9,75"]
    assert to_csv(machines(), FR).removeprefix("\ufeff").splitlines()[1] == (
        "Découpeuse laser,12,9.75"
    )


def test_csv_shows_hidden_cells_with_their_symbols() -> None:
    rows = list(csv.DictReader(io.StringIO(to_csv(publish(communes()), FR).lstrip("\ufeff"))))
    outside = next(r for r in rows if r["commune"] == "Hors territoire")
    assert outside["people"] == "< 5"
    assert [r["people"] for r in rows].count("s") >= 1


def test_json_keeps_codes_and_numbers() -> None:
    document = json.loads(json.dumps(to_json(publish(communes()))))
    assert document["report"] == "entries" and document["site"] == SITE
    assert (document["from"], document["to"]) == ("2026-10-01", "2026-10-31")
    assert document["rows"][0] == {"commune": "62765", "entries": 120, "people": 40}
    outside = next(r for r in document["rows"] if r["commune"] == OTHER_COMMUNE)
    assert outside["people"] is None and isinstance(outside["entries"], int)
    assert {"at": {"commune": OTHER_COMMUNE}, "measure": "people", "secrecy": "small",
            "margin_over": []} in document["suppressed"]  # fmt: skip
    assert document["totals"] == {"entries": 173, "people": 61}
    assert document["method"] == "raw"


def test_xlsx_reads_back_with_numbers_as_numbers(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = tmp_path / "reports.xlsx"
    write_xlsx([communes(), machines()], FR, path)
    book = load_workbook(path)
    assert book.sheetnames == ["Entrées - Commune", "Usage des machines - Machine"]
    sheet = book["Entrées - Commune"]
    assert [c.value for c in sheet[1]] == ["commune", "entries", "people"]
    assert all(c.font.bold for c in sheet[1])
    assert [c.value for c in sheet[2]] == ["Saint-Omer (62765)", 120, 40]
    assert [c.value for c in sheet[6]] == ["Total", 173, 61]
    assert sheet.column_dimensions["A"].width >= len("Saint-Omer (62765)")
    assert sheet.freeze_panes == "A2"
    usage = book["Usage des machines - Machine"]
    assert [c.value for c in usage[2]] == ["Découpeuse laser", 12, 9.75]
    notes = [row[0].value for row in usage.iter_rows(min_row=4) if row[0].value]
    assert any("La Station" in str(n) for n in notes)


@pytest.mark.parametrize("fmt", ["png", "svg"])
@pytest.mark.parametrize(
    ("table", "kind"),
    [(communes, ChartKind.BARS), (by_month, ChartKind.LINES), (occupancy, ChartKind.HEATMAP)],
)
def test_charts_of_each_kind(tmp_path: Path, fmt: str, table: object, kind: ChartKind) -> None:
    figures = table()  # type: ignore[operator]
    assert chart_kind(figures) is kind
    path = tmp_path / f"chart.{fmt}"
    assert write_chart(figures, FR, path, fmt) is kind
    data = path.read_bytes()
    assert len(data) > 10_000
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        text = data.decode("utf-8")
        assert "<svg" in text
        assert "La Station" in text or "Station" in text  # the title names the site


def test_svg_titles_and_axes_follow_the_language(tmp_path: Path) -> None:
    path = tmp_path / "chart.svg"
    write_chart(by_month(), FR, path, "svg")
    french = path.read_text(encoding="utf-8")
    write_chart(by_month(), EN, path, "svg")
    english = path.read_text(encoding="utf-8")
    assert "Entrées par mois, La Station, 1er janvier 2026 – 31 décembre 2026" in french
    assert "octobre 2026" in french and "Mois" in french
    assert "Entries by month, La Station, 1 January 2026 – 31 December 2026" in english
    assert "October 2026" in english and "Month" in english


def test_labels_in_french_and_english() -> None:
    assert FR.value("commune", "62765") == "Saint-Omer (62765)"
    assert (FR.value("commune", OTHER_COMMUNE), EN.value("commune", OTHER_COMMUNE)) == (
        "Hors territoire",
        "Outside the territory",
    )
    assert (FR.value("commune", UNKNOWN), EN.value("kind", UNKNOWN)) == (
        "Non renseigné",
        "Not given",
    )
    assert (FR.value("weekday", "1"), EN.value("weekday", "7")) == ("lundi", "Sunday")
    assert (FR.value("month", "2026-02"), EN.value("month", "2026-02")) == (
        "février 2026",
        "February 2026",
    )
    assert (FR.value("quarter", "2026-Q4"), EN.value("quarter", "2026-Q4")) == (
        "T4 2026",
        "Q4 2026",
    )
    assert (FR.value("week", "2026-W05"), EN.value("hour", "09")) == ("semaine 5 (2026)", "09:00")
    assert FR.value("hour", "09") == "9 h"
    assert (FR.value("purpose", "digital-help"), EN.value("purpose", "digital-help")) == (
        "Aide au numérique",
        "Digital-literacy help",
    )
    assert EN.value("space", "creativity") == "Creativity room"
    assert (FR.value("training", "laser"), EN.value("plan", "resident")) == (
        "Découpeuse laser",
        "Coworking resident",
    )
    assert (FR.value("kind", "visitor"), EN.value("kind", "member")) == ("Visiteur", "Member")
    assert FR.value("purpose", "not-configured") == "not-configured"
    assert (FR.column("first_time"), EN.column("first_time")) == (
        "Nouvelles personnes",
        "First-timers",
    )
    assert EN.site(None) == "all sites"


def test_the_table_for_people_says_what_and_totals(tmp_path: Path) -> None:
    console = Console(record=True, width=140)
    console.print(to_rich(publish(communes()), EN))
    text = " ".join(console.export_text().split())  # rich wraps the title and the notes
    assert "Entries by commune, La Station, 1 October 2026 – 31 October 2026" in text
    assert "Outside the territory" in text and "< 5" in text and "Total" in text
    assert "Statistical confidentiality" in text
    assert "Distinct people: counted from" in text
