"""Charts a person reads without the table (matplotlib, no display): PNG or SVG.

Bars for categories (horizontal when the labels are many or long, communes above all),
lines for periods, a heat-map for occupancy (weekday x hour). The title says what, where
and when; the axes say what they count; bars carry their values when few; the notes
(how counted, what `--publish` hid) are printed under the chart. A chart shows the
table's first measure.
"""

from __future__ import annotations

import enum
import hashlib
import io
import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from station.reports.labels import Labels
from station.reports.table import PERIODS, Dimension, Key, ReportTable
from station.reports.text import cell_text, notes

COLOURS = ("#1f6f8b", "#e07a1f", "#4c9a2a", "#a23b72", "#6b5ca5", "#c9a227", "#3d5a80")
FEW_BARS = 16  # values written on the bars up to this many
MAX_TICKS = 14
FEW_HOURS = 16  # heat-map cells carry their values up to this many hours


class ChartKind(enum.StrEnum):
    BARS = "bars"
    LINES = "lines"
    HEATMAP = "heatmap"


def chart_kind(table: ReportTable) -> ChartKind:
    dims = set(table.dimensions)
    if dims == {Dimension.WEEKDAY, Dimension.HOUR}:
        return ChartKind.HEATMAP
    if dims & PERIODS:
        return ChartKind.LINES
    return ChartKind.BARS


def write_chart(table: ReportTable, labels: Labels, path: Path, fmt: str) -> ChartKind:
    """Draw the table's first measure into `path` (`fmt`: png or svg)."""
    if fmt == "svg":
        path.write_text(chart_svg(table, labels), encoding="utf-8")
    else:
        with _DRAWING:
            _figure(table, labels).savefig(path, format=fmt, dpi=120)
    return chart_kind(table)


def chart_svg(table: ReportTable, labels: Labels) -> str:
    """The chart as an SVG document, its words as text (the browser's sans-serif draws
    them, a screen reader reads them, a PDF printed from it can be searched), the same
    bytes for the same figures. Remembered by what it shows: a page shown again, or the
    same year's summary, is not drawn again (a first drawing takes 50-125 ms)."""
    import matplotlib

    digest = hashlib.sha256(repr((table, labels)).encode("utf-8")).digest()
    known = _DRAWN.get(digest)
    if known is not None:
        return known
    written = io.StringIO()
    with _DRAWING, matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "station"}):
        # No date: the same SVG for the same figures; ids from a fixed salt, not random.
        _figure(table, labels).savefig(written, format="svg", metadata={"Date": None})
    return _DRAWN.keep(digest, written.getvalue())


class _Drawn:
    """The charts drawn last, by the digest of their figures and labels: a cache, not
    state (two consoles on one central draw the same bytes from the same figures)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._charts: OrderedDict[bytes, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, digest: bytes) -> str | None:
        with self._lock:
            if digest in self._charts:
                self._charts.move_to_end(digest)
            return self._charts.get(digest)

    def keep(self, digest: bytes, svg: str) -> str:
        with self._lock:
            self._charts[digest] = svg
            while len(self._charts) > self.size:
                self._charts.popitem(last=False)
        return svg


_DRAWN = _Drawn(64)  # some 3 MB at most: a chart is 10-60 kB

# matplotlib's settings are global and its font cache is shared: one drawing at a time
# (the console draws in worker threads; a drawing holds the interpreter anyway).
_DRAWING = threading.Lock()


def _figure(table: ReportTable, labels: Labels) -> Any:
    from matplotlib.figure import Figure

    kind = chart_kind(table)
    size = _size(table, kind)
    written = notes(table, labels)
    # Room for the notes under the chart, in the figure's height.
    room = (0.1 + 0.13 * len(written)) / size[1]
    figure = Figure(figsize=size)
    axes = figure.add_subplot()
    measure = table.measures[0]
    image = None
    if kind is ChartKind.HEATMAP:
        image = _heatmap(axes, table, measure, labels)
    elif kind is ChartKind.LINES:
        _lines(axes, table, measure, labels)
    else:
        _bars(axes, table, measure, labels)
    axes.set_title(labels.title(table, measure), fontproperties=_title_font(), loc="left")
    beside = 0.0 if image is None else _colour_bar_room(image, labels.column(measure))
    place = margins(axes, size, room, beside)
    figure.subplots_adjust(**place)
    if image is not None:
        _colour_bar(figure, image, place, size, labels.column(measure))
    figure.text(0.01, 0.01, "\n".join(written), fontsize=7, color="#555555", va="bottom")
    return figure


_PAD = 8.0  # points around and between the parts


def margins(
    axes: Any, size: tuple[float, float], room: float, beside: float = 0.0
) -> dict[str, float]:
    """The axes' place in the figure (fractions) leaving room for its tick labels, axis
    labels and title, from their measured sizes, `room` (a fraction) under it and
    `beside` (points) on its right: what constrained layout finds, without its drawing
    of the whole figure before the real one (half of a chart's time)."""
    width, height = size[0] * 72, size[1] * 72  # in points
    x_ticks = [_extent(label) for label in axes.get_xticklabels() if label.get_text()]
    y_ticks = [_extent(label) for label in axes.get_yticklabels() if label.get_text()]
    widest_y = max((w for w, _ in y_ticks), default=0.0)
    tallest_x = max((h for _, h in x_ticks), default=0.0)
    # A label centred under the last tick reaches past the axes by half its width.
    overhang = max((w for w, _ in x_ticks[-1:]), default=0.0) / 2
    ylabel = _extent(axes.yaxis.label)[0] if axes.yaxis.label.get_text() else 0.0
    xlabel = _extent(axes.xaxis.label)[1] if axes.xaxis.label.get_text() else 0.0
    title = _measure(axes.get_title(loc="left"), _title_font())[1]
    left = _PAD + ylabel + _PAD / 2 + widest_y + 7
    bottom = _PAD + xlabel + _PAD / 2 + tallest_x + 7
    top = _PAD + title + 6
    right = _PAD + max(overhang, beside)
    return {
        "left": min(0.6, left / width),
        "right": max(0.65, 1 - right / width),
        "bottom": min(0.6, room + bottom / height),
        "top": max(0.65, 1 - top / height),
    }


def _extent(text: Any) -> tuple[float, float]:
    """The width and height, in points, that a text takes once turned by its rotation."""
    width, height = _measure(text.get_text(), text.get_fontproperties())
    angle = math.radians(text.get_rotation())
    return (
        abs(width * math.cos(angle)) + abs(height * math.sin(angle)),
        abs(width * math.sin(angle)) + abs(height * math.cos(angle)),
    )


def _title_font() -> Any:
    from matplotlib.font_manager import FontProperties

    return FontProperties(size=11)


_BAR_WIDTH = 14.0  # the heat-map's colour bar, and its gap from the axes, in points
_BAR_GAP = 12.0
_TICK = 3.5 + 3.5  # a tick's length and its label's pad, in points


def _colour_bar_room(image: Any, label: str) -> float:
    """What the colour bar takes right of the axes, in points: its gap, itself, its
    tick labels (none wider than the largest value with a decimal) and its label."""
    from matplotlib.font_manager import FontProperties

    largest = float(image.norm.vmax) if image.norm.vmax is not None else 0.0
    font = FontProperties(size=10)
    widest = _measure(f"{largest:.1f}", font)[0]
    turned = _measure(label, font)[1]  # written upwards: its height is its width
    return _BAR_GAP + _BAR_WIDTH + _TICK + widest + _PAD / 2 + turned


def _colour_bar(
    figure: Any, image: Any, place: dict[str, float], size: tuple[float, float], label: str
) -> None:
    width = size[0] * 72
    left = place["right"] + _BAR_GAP / width
    height = place["top"] - place["bottom"]
    bar = figure.add_axes((left, place["bottom"], _BAR_WIDTH / width, height))
    figure.colorbar(image, cax=bar, label=label)


_MEASURING_DPI = 720  # fine enough that no hinting rounds the widths
_SLACK = 1.04  # what a screen's or a printer's rendering may add


def _measure(text: str, font: Any) -> tuple[float, float]:
    from matplotlib.backends.backend_agg import RendererAgg

    renderer = RendererAgg(1, 1, _MEASURING_DPI)
    width, height, _ = renderer.get_text_width_height_descent(text, font, ismath=False)
    scale = 72 / _MEASURING_DPI * _SLACK
    return float(width) * scale, float(height) * scale


def _size(table: ReportTable, kind: ChartKind) -> tuple[float, float]:
    if kind is ChartKind.HEATMAP:
        return (11.0, 4.8)
    if kind is ChartKind.BARS and _horizontal(table):
        return (9.0, max(4.0, 1.2 + 0.32 * len(table.rows)))
    return (max(7.0, min(16.0, 0.45 * len(table.rows))), 4.8)


def _value(table: ReportTable, key: Key, measure: str, values: Any) -> float:
    """The figure to draw: NaN when hidden or absent (a gap, not a zero)."""
    value = values.get(measure)
    if value is None or table.secrecy(key, measure) is not None:
        return math.nan
    return float(value)


def _horizontal(table: ReportTable) -> bool:
    if len(table.dimensions) != 1:
        return False
    return len(table.rows) > 8 or table.dimensions[0] == Dimension.COMMUNE


def _ordered(table: ReportTable, measure: str) -> list[tuple[Key, Any]]:
    """Ordinal dimensions in their order; categories from the largest down."""
    rows = list(table.rows)
    ordinal = set(table.dimensions) & {Dimension.HOUR, Dimension.WEEKDAY, *PERIODS}
    if not ordinal and len(table.dimensions) == 1:
        rows.sort(key=lambda row: -(_count(row[1].get(measure))))
    return rows


def _count(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


def _bars(axes: Any, table: ReportTable, measure: str, labels: Labels) -> None:
    if len(table.dimensions) == 2:
        _grouped_bars(axes, table, measure, labels)
        return
    rows = _ordered(table, measure)
    names = [_key_label(table, key, labels) for key, _ in rows]
    heights = [_value(table, key, measure, values) for key, values in rows]
    drawn = [0.0 if math.isnan(h) else h for h in heights]
    texts = [
        cell_text(table, key, measure, values.get(measure), labels, True) for key, values in rows
    ]
    if _horizontal(table):
        bars = axes.barh(names, drawn, color=COLOURS[0])
        axes.invert_yaxis()  # the largest at the top
        axes.set_xlabel(labels.column(measure))
        axes.set_ylabel(_dims_label(table, labels))
    else:
        bars = axes.bar(names, drawn, color=COLOURS[0])
        axes.set_ylabel(labels.column(measure))
        axes.set_xlabel(_dims_label(table, labels))
        if len(names) > 6:
            axes.tick_params(axis="x", labelrotation=45)
    if len(rows) <= FEW_BARS or _horizontal(table):
        axes.bar_label(bars, labels=texts, padding=2, fontsize=8)
    if _horizontal(table):
        axes.margins(x=0.08, y=0.01)
    else:
        axes.margins(x=0.02, y=0.1)


def _grouped_bars(axes: Any, table: ReportTable, measure: str, labels: Labels) -> None:
    first = _distinct(table, 0)
    second = _distinct(table, 1)
    values = {key: row for key, row in table.rows}
    width = 0.8 / max(1, len(second))
    for index, value in enumerate(second):
        keys = [(a, value) for a in first]
        heights = [_value(table, k, measure, values.get(k, {})) for k in keys]
        xs = [i + index * width for i in range(len(first))]
        bars = axes.bar(
            xs,
            [0.0 if math.isnan(h) else h for h in heights],
            width,
            label=labels.value(table.dimensions[1], value),
            color=COLOURS[index % len(COLOURS)],
        )
        if len(first) * len(second) <= FEW_BARS * 2:
            texts = [
                cell_text(table, k, measure, values.get(k, {}).get(measure), labels, True)
                for k in keys
            ]
            axes.bar_label(bars, labels=texts, padding=2, fontsize=7)
    axes.set_xticks(
        [i + 0.4 - width / 2 for i in range(len(first))],
        [labels.value(table.dimensions[0], a) for a in first],
    )
    if len(first) > 6:
        axes.tick_params(axis="x", labelrotation=45)
    axes.set_xlabel(labels.column(table.dimensions[0]))
    axes.set_ylabel(labels.column(measure))
    axes.legend(title=labels.column(table.dimensions[1]), fontsize=8)


def _lines(axes: Any, table: ReportTable, measure: str, labels: Labels) -> None:
    period_at = next(i for i, d in enumerate(table.dimensions) if d in PERIODS)
    periods = _distinct(table, period_at)
    values = {key: row for key, row in table.rows}
    series: Sequence[str | None] = (
        _distinct(table, 1 - period_at) if len(table.dimensions) == 2 else [None]
    )
    for index, name in enumerate(series):
        keys = [_compose(p, name, period_at) for p in periods]
        ys = [_value(table, k, measure, values.get(k, {})) for k in keys]
        label = None if name is None else labels.value(table.dimensions[1 - period_at], name)
        axes.plot(
            range(len(periods)),
            ys,
            marker="o" if len(periods) <= 40 else None,
            markersize=3,
            label=label,
            color=COLOURS[index % len(COLOURS)],
        )
    step = max(1, math.ceil(len(periods) / MAX_TICKS))
    ticks = list(range(0, len(periods), step))
    period = table.dimensions[period_at]
    axes.set_xticks(ticks, [labels.value(period, periods[i]) for i in ticks])
    if len(ticks) > 6:
        axes.tick_params(axis="x", labelrotation=45)
    axes.set_xlabel(labels.column(period))
    axes.set_ylabel(labels.column(measure))
    axes.set_ylim(bottom=0)
    axes.grid(axis="y", alpha=0.3)
    if series != [None]:
        axes.legend(title=labels.column(table.dimensions[1 - period_at]), fontsize=8)


def _heatmap(axes: Any, table: ReportTable, measure: str, labels: Labels) -> Any:
    """The grid of weekdays by hours; returns the image, for its colour bar."""
    import numpy as np

    day_at = table.dimensions.index(Dimension.WEEKDAY)
    hours_seen = sorted({int(key[1 - day_at]) for key, _ in table.rows}) or [0]
    hours = list(range(hours_seen[0], hours_seen[-1] + 1))
    grid = np.full((7, len(hours)), np.nan)
    texts: dict[tuple[int, int], str] = {}
    for key, values in table.rows:
        day, hour = int(key[day_at]) - 1, int(key[1 - day_at]) - hours[0]
        grid[day, hour] = _value(table, key, measure, values)
        if table.secrecy(key, measure) is not None or len(hours) <= FEW_HOURS:
            texts[(day, hour)] = cell_text(table, key, measure, values.get(measure), labels, True)
    image = axes.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap="YlOrRd")
    for (day, hour), text in texts.items():
        dark = not np.isnan(grid[day, hour]) and image.norm(grid[day, hour]) > 0.6
        colour = "white" if dark else "#333333"
        axes.text(hour, day, text, ha="center", va="center", fontsize=7, color=colour)
    axes.set_yticks(range(7), [labels.value(Dimension.WEEKDAY, str(d)) for d in range(1, 8)])
    axes.set_xticks(range(len(hours)), [labels.value(Dimension.HOUR, f"{h:02d}") for h in hours])
    axes.set_xlabel(labels.column(Dimension.HOUR))
    axes.set_ylabel(labels.column(Dimension.WEEKDAY))
    return image


def _distinct(table: ReportTable, at: int) -> list[str]:
    return sorted({key[at] for key, _ in table.rows})


def _compose(period: str, other: str | None, period_at: int) -> Key:
    if other is None:
        return (period,)
    return (period, other) if period_at == 0 else (other, period)


def _key_label(table: ReportTable, key: Key, labels: Labels) -> str:
    if not key:
        return labels.word("total")
    return " / ".join(labels.value(d, k) for d, k in zip(table.dimensions, key, strict=True))


def _dims_label(table: ReportTable, labels: Labels) -> str:
    return " / ".join(labels.column(d) for d in table.dimensions)
