"""`--publish`: the statistical confidentiality of French public statistics.

A cell counting fewer than 5 people is hidden and shown `< 5` (primary secret). Then
hidden cells must not be found again by subtraction: in every line of the table (the
cells of one dimension value with their margin, the margins with the whole range's
total, members and visitors with the people they add up to) the visible figures and
what the symbols say (`< 5` is 1 to 4, `s` is 5 or more) must leave every hidden cell
at least two possible values. Where they would not, the smallest visible cell of that
line is hidden too and shown `s` (secondary secret), or the line's margin when no cell
is left to hide. Distinct counts are treated as if they added up, which they do not
quite: a conservative reading, the one an attacker would start from.

Margins of a table with two dimensions are the one-dimension reports of the same range:
a margin hidden here (key with `ANY`) must be hidden there too.
"""

from __future__ import annotations

import math
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace

from station.reports.table import (
    ANY,
    PEOPLE_MEASURES,
    TOTAL,
    Cell,
    Key,
    Measure,
    ReportTable,
    Secrecy,
    Value,
)

THRESHOLD = 5


@dataclass(frozen=True)
class Line:
    """Cells known to add up to `margin`."""

    cells: tuple[Cell, ...]
    margin: Cell


def publish(table: ReportTable, threshold: int = THRESHOLD) -> ReportTable:
    """The table as it may be published: small cells and their complements hidden (None)."""
    if len(table.dimensions) > 2:
        raise ValueError("--publish applies to reports by one or two dimensions")
    measures = [m for m in table.measures if m in PEOPLE_MEASURES]
    values = _cell_values(table, measures)
    lines = list(_lines(table, measures, values))
    hidden: dict[Cell, Secrecy] = {
        cell: Secrecy.SMALL for cell, value in values.items() if 0 < value < threshold
    }
    _protect(lines, values, hidden, threshold)
    _hide_dependents(table, hidden)
    return _apply(table, hidden)


def _cell_values(table: ReportTable, measures: list[str]) -> dict[Cell, int]:
    values: dict[Cell, int] = {}
    two = len(table.dimensions) == 2
    for key, row in table.rows:
        for m in measures:
            value = _count(row.get(m))
            values[(key, m)] = value
            if two:  # margins: what the one-dimension reports show, as sums
                for margin in ((key[0], ANY), (ANY, key[1])):
                    values[(margin, m)] = values.get((margin, m), 0) + value
    for m in measures:
        values[(TOTAL, m)] = _count(table.totals.get(m))
    return values


def _lines(table: ReportTable, measures: list[str], values: Mapping[Cell, int]) -> Iterable[Line]:
    keys = [key for key, _ in table.rows]
    for m in measures:
        if len(table.dimensions) == 1:
            yield Line(tuple((k, m) for k in keys), (TOTAL, m))
        elif len(table.dimensions) == 2:
            for axis in (0, 1):
                groups: defaultdict[str, list[Cell]] = defaultdict(list)
                for k in keys:
                    groups[k[axis]].append((k, m))
                for value, cells in groups.items():
                    margin = (value, ANY) if axis == 0 else (ANY, value)
                    yield Line(tuple(cells), (margin, m))
                margins = [((v, ANY) if axis == 0 else (ANY, v), m) for v in groups]
                yield Line(tuple(margins), (TOTAL, m))
    # members and visitors are check-ins by kind: with staff (who check in rarely, if
    # ever) they add up to `entries`. Taken as an equation, the line can only hide more.
    kinds = {Measure.MEMBERS, Measure.VISITORS, Measure.ENTRIES}
    if kinds <= set(measures):
        for key in {cell[0] for cell in values}:
            parts = ((key, Measure.MEMBERS), (key, Measure.VISITORS))
            yield Line(parts, (key, Measure.ENTRIES))


def _protect(
    lines: list[Line], values: Mapping[Cell, int], hidden: dict[Cell, Secrecy], threshold: int
) -> None:
    """Hide complements until no line pins a hidden cell (a work list of lines to check)."""
    lines_of_cell: defaultdict[Cell, list[int]] = defaultdict(list)
    for index, line in enumerate(lines):
        for cell in (*line.cells, line.margin):
            lines_of_cell[cell].append(index)
    queue = deque(range(len(lines)))
    while queue:
        line = lines[queue.popleft()]
        if not _pinned(line, values, hidden, threshold):
            continue
        chosen = _complement(line, values, hidden)
        if chosen is None:
            continue  # everything in it is hidden already
        hidden[chosen] = Secrecy.COMPLEMENT
        queue.extend(lines_of_cell[chosen])


def _pinned(
    line: Line, values: Mapping[Cell, int], hidden: Mapping[Cell, Secrecy], threshold: int
) -> bool:
    # The reader knows: sum(cells) - margin = 0, the visible values, and each hidden
    # value's range from its symbol. Move the visible ones to the right-hand side.
    unknown = [(c, 1) for c in line.cells if c in hidden]
    if line.margin in hidden:
        unknown.append((line.margin, -1))
    if not unknown:
        return False
    known = sum(values[c] for c in line.cells if c not in hidden)
    total = sum(values[c] for c in line.cells)  # the margin as the cells' sum (see above)
    rhs = -known if line.margin in hidden else total - known
    # Each unknown's signed range, and the range of all of them summed: the others' sum
    # is the whole less one's own (in one pass, not one per unknown). An infinite end
    # is counted apart, since inf - inf says nothing; the finite ends are whole numbers,
    # so the sums are exact.
    terms = []
    for cell, sign in unknown:
        lo, hi = _bounds(hidden[cell], threshold)
        terms.append((cell, sign, lo, hi, lo if sign > 0 else -hi, hi if sign > 0 else -lo))
    low, high = _Sum.of(t[4] for t in terms), _Sum.of(t[5] for t in terms)
    for _cell, sign, own_lo, own_hi, low_term, high_term in terms:
        others_low, others_high = low.without(low_term), high.without(high_term)
        lo, hi = (
            (rhs - others_high, rhs - others_low)
            if sign > 0
            else (others_low - rhs, others_high - rhs)
        )
        if min(hi, own_hi) - max(lo, own_lo) < 1:
            return True
    return False


@dataclass(frozen=True)
class _Sum:
    """A sum of terms some of which may be infinite (all of one sign here)."""

    finite: float
    infinite: int  # how many terms are infinite
    sign: float  # the infinite terms' sign (+1.0 or -1.0)

    @classmethod
    def of(cls, terms: Iterable[float]) -> _Sum:
        finite, infinite, sign = 0.0, 0, 1.0
        for term in terms:
            if math.isinf(term):
                infinite, sign = infinite + 1, math.copysign(1.0, term)
            else:
                finite += term
        return cls(finite, infinite, sign)

    def without(self, term: float) -> float:
        """The sum less one of its terms."""
        if math.isinf(term):
            left = self.infinite - 1
            return self.sign * math.inf if left else self.finite
        return self.sign * math.inf if self.infinite else self.finite - term


def _bounds(secrecy: Secrecy, threshold: int) -> tuple[float, float]:
    if secrecy is Secrecy.SMALL:
        return (1.0, float(threshold - 1))
    return (float(threshold), math.inf)


def _complement(
    line: Line, values: Mapping[Cell, int], hidden: Mapping[Cell, Secrecy]
) -> Cell | None:
    """The smallest visible cell of the line that tells something (not a zero), else its
    margin."""
    candidates = [c for c in line.cells if c not in hidden and values[c] > 0]
    if candidates:
        return min(candidates, key=lambda c: (values[c], c))
    if line.margin not in hidden:
        return line.margin
    return None


def _hide_dependents(table: ReportTable, hidden: dict[Cell, Secrecy]) -> None:
    """Hours and durations describe the people counted beside them: hidden with them."""
    others = [m for m in table.measures if m not in PEOPLE_MEASURES]
    for key in {cell[0] for cell in hidden}:
        for m in others:
            hidden.setdefault((key, m), Secrecy.COMPLEMENT)


def _apply(table: ReportTable, hidden: Mapping[Cell, Secrecy]) -> ReportTable:
    def masked(key: Key, row: Mapping[str, Value]) -> dict[str, Value]:
        return {m: None if (key, m) in hidden else v for m, v in row.items()}

    return replace(
        table,
        rows=tuple((key, masked(key, row)) for key, row in table.rows),
        totals=masked(TOTAL, table.totals),
        suppressed=dict(hidden),
    )


def _count(value: Value) -> int:
    return 0 if value is None else round(value)
