"""`station.reports.charts.chart_svg`: the same bytes for the same figures, drawn again
when a figure changes, words as text, safe from the console's worker threads."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

import pytest

from station.reports import charts
from station.reports.charts import chart_svg
from station.reports.table import ReportTable
from tests.station.reports.test_formats import EN, FR, by_month, communes, occupancy


@pytest.fixture
def fresh(monkeypatch: pytest.MonkeyPatch) -> None:
    """Nothing drawn yet: each test sees its own charts drawn."""
    monkeypatch.setattr(charts, "_DRAWN", charts._Drawn(4))


def texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def with_first_month(table: ReportTable, entries: int) -> ReportTable:
    (key, values), *rest = table.rows
    return replace(table, rows=((key, {**values, "entries": entries}), *rest))


@pytest.mark.usefixtures("fresh")
def test_the_same_figures_draw_the_same_bytes_even_drawn_again() -> None:
    first = chart_svg(by_month(), FR)
    assert chart_svg(by_month(), FR) == first  # an equal table built again: remembered
    charts._DRAWN = charts._Drawn(4)  # forgotten: drawn anew, ids from the fixed salt
    assert chart_svg(by_month(), FR) == first
    assert "<dc:date>" not in first


@pytest.mark.usefixtures("fresh")
def test_a_changed_figure_or_language_is_drawn_again() -> None:
    before = chart_svg(by_month(), FR)
    changed = chart_svg(with_first_month(by_month(), 987), FR)
    assert changed != before  # not the remembered chart of other figures
    assert chart_svg(by_month(), FR) == before
    english = chart_svg(by_month(), EN)
    assert any("Entries by month" in text for text in texts(english))
    assert not any("Entrées" in text for text in texts(english))


@pytest.mark.usefixtures("fresh")
def test_words_are_text_a_reader_finds() -> None:
    svg = chart_svg(communes(), FR)
    words = texts(svg)
    assert any(word.startswith("Entrées par commune") for word in words)
    assert "Saint-Omer (62765)" in words
    assert "120" in words  # the bar's value, written on it
    assert 'id="DejaVuSans-' not in svg  # no glyph drawn as a path


def test_the_oldest_chart_is_forgotten_first() -> None:
    drawn = charts._Drawn(2)
    drawn.keep(b"a", "A")
    drawn.keep(b"b", "B")
    assert drawn.get(b"a") == "A"  # used: now the newest
    drawn.keep(b"c", "C")
    assert (drawn.get(b"a"), drawn.get(b"b"), drawn.get(b"c")) == ("A", None, "C")


@pytest.mark.usefixtures("fresh")
def test_charts_drawn_in_threads_are_each_their_own() -> None:
    tables = [by_month(), communes(), occupancy(), with_first_month(by_month(), 5)]
    alone = [chart_svg(table, FR) for table in tables]
    charts._DRAWN = charts._Drawn(1)  # each drawn again, four threads at once
    with ThreadPoolExecutor(max_workers=4) as pool:
        together = list(pool.map(lambda table: chart_svg(table, FR), tables * 2))
    assert together == alone * 2
