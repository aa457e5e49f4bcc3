"""`--publish`: small cells hidden, and no hidden cell found again by subtraction.

The check here is independent of the implementation's interval reasoning: for every
line (a dimension value's cells and its margin, the margins and the total), it works out
by exact integer enumeration every value a hidden cell could take given what a reader
sees (visible figures, `< 5` meaning 1 to 4, `s` meaning 5 or more), and requires two at
least.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from hypothesis import given, settings
from hypothesis import strategies as st

from station.reports.publish import publish
from station.reports.table import ANY, TOTAL, Cell, Key, ReportTable, Secrecy

SMALL, COMPLEMENT = Secrecy.SMALL, Secrecy.COMPLEMENT


def one_dim(values: Mapping[str, int], measure: str = "entries") -> ReportTable:
    rows = tuple(((k,), {measure: v}) for k, v in sorted(values.items()))
    return ReportTable(
        "entries", ("purpose",), (measure,), rows, {measure: sum(values.values())}, "raw"
    )


def two_dims(values: Mapping[tuple[str, str], int], measure: str = "entries") -> ReportTable:
    rows = tuple((k, {measure: v}) for k, v in sorted(values.items()))
    return ReportTable(
        "entries", ("purpose", "month"), (measure,), rows, {measure: sum(values.values())}, "raw"
    )


def lines(table: ReportTable, measure: str) -> list[tuple[list[Cell], Cell, dict[Cell, int]]]:
    """(cells, margin, true values) of every line a reader can subtract along."""
    values: dict[Cell, int] = {}
    for key, row in table.rows:
        values[(key, measure)] = int(row[measure] or 0)
    values[(TOTAL, measure)] = int(table.totals[measure] or 0)
    if len(table.dimensions) == 1:
        return [([(k, measure) for k, _ in table.rows], (TOTAL, measure), values)]
    found = []
    for axis in (0, 1):
        groups: defaultdict[str, list[Cell]] = defaultdict(list)
        for key, _ in table.rows:
            groups[key[axis]].append((key, measure))
        margins: list[Cell] = []
        for value, cells in groups.items():
            margin_key: Key = (value, ANY) if axis == 0 else (ANY, value)
            values[(margin_key, measure)] = sum(values[c] for c in cells)
            margins.append((margin_key, measure))
            found.append((cells, (margin_key, measure), values))
        found.append((margins, (TOTAL, measure), values))
    return found


def possible_values(
    cell: Cell, unknown: list[Cell], target: int, ranges: Mapping[Cell, range]
) -> set[int]:
    """Values `cell` can take with the other unknowns in their ranges, all summing to target."""
    reachable = {0}  # sums the other unknowns can make (exact enumeration)
    for other in unknown:
        if other != cell:
            reachable = {s + v for s in reachable for v in ranges[other] if s + v <= target}
    return {v for v in ranges[cell] if target - v in reachable}


def assert_unrecoverable(original: ReportTable, published: ReportTable, measure: str) -> None:
    hidden = published.suppressed
    for cells, margin, values in lines(original, measure):
        if margin in hidden:
            continue  # the line's sum is not given: nothing to subtract from
        unknown = [c for c in cells if c in hidden]
        if not unknown:
            continue
        target = values[margin] - sum(values[c] for c in cells if c not in hidden)
        ranges = {c: range(1, 5) if hidden[c] is SMALL else range(5, target + 1) for c in unknown}
        for c in unknown:
            assert len(possible_values(c, unknown, target, ranges)) >= 2, (c, cells, hidden)


def shown(table: ReportTable) -> dict[Key, object]:
    return {key: row["entries"] for key, row in table.rows}


def test_a_small_cell_and_the_smallest_other_are_hidden() -> None:
    table = one_dim({"coworking": 3, "fablab": 10, "event": 20, "hall": 40})
    published = publish(table)
    assert shown(published) == {
        ("coworking",): None,
        ("event",): 20,
        ("fablab",): None,
        ("hall",): 40,
    }
    assert published.secrecy(("coworking",), "entries") is SMALL
    assert published.secrecy(("fablab",), "entries") is COMPLEMENT
    assert published.totals == {"entries": 73}
    assert_unrecoverable(table, published, "entries")


def test_a_complement_too_close_to_the_threshold_needs_another() -> None:
    # 1 and 5 hidden with their sum 6 known: "< 5" plus "5 or more" is 1 + 5, pinned.
    table = one_dim({"a": 1, "b": 5, "c": 20, "d": 30})
    published = publish(table)
    assert [k for k, v in shown(published).items() if v is None] == [("a",), ("b",), ("c",)]
    assert_unrecoverable(table, published, "entries")


def test_two_small_cells_that_add_up_to_two_are_protected() -> None:
    # Both "< 5" and summing to 2: each is 1. A third cell has to go.
    table = one_dim({"a": 1, "b": 1, "c": 50})
    published = publish(table)
    assert all(v is None for v in shown(published).values())
    assert_unrecoverable(table, published, "entries")


def test_one_small_row_hides_the_total_too() -> None:
    published = publish(one_dim({"a": 3}))
    assert shown(published) == {("a",): None}
    assert published.totals == {"entries": None}
    assert published.secrecy(TOTAL, "entries") is SMALL


def test_nothing_small_nothing_hidden() -> None:
    table = one_dim({"a": 5, "b": 12})
    assert publish(table) == table


def test_two_dimensions_each_row_and_column_keeps_two_hidden_cells() -> None:
    table = two_dims(
        {
            ("coworking", "2026-10"): 2,
            ("coworking", "2026-11"): 30,
            ("coworking", "2026-12"): 25,
            ("fablab", "2026-10"): 12,
            ("fablab", "2026-11"): 40,
            ("fablab", "2026-12"): 3,
            ("event", "2026-10"): 9,
            ("event", "2026-11"): 7,
            ("event", "2026-12"): 60,
        }
    )
    published = publish(table)
    hidden_cells = [k for k, v in shown(published).items() if v is None]
    assert ("coworking", "2026-10") in hidden_cells and ("fablab", "2026-12") in hidden_cells
    for axis in (0, 1):
        for value in {k[axis] for k in hidden_cells}:
            assert len([k for k in hidden_cells if k[axis] == value]) >= 2
    assert_unrecoverable(table, published, "entries")


def test_two_dimensions_a_lone_small_cell_hides_its_margin() -> None:
    # The creativity room was used in one month only, by 2: its row's margin is that cell.
    table = two_dims(
        {
            ("creativity", "2026-10"): 2,
            ("fablab", "2026-10"): 12,
            ("fablab", "2026-11"): 40,
            ("event", "2026-10"): 9,
            ("event", "2026-11"): 7,
        }
    )
    published = publish(table)
    assert published.secrecy(("creativity", ANY), "entries") is SMALL
    assert_unrecoverable(table, published, "entries")


def test_members_and_visitors_do_not_give_away_each_other() -> None:
    measures = ("entries", "people", "members", "visitors")
    rows = (
        (("coworking",), {"entries": 12, "people": 9, "members": 10, "visitors": 2}),
        (("fablab",), {"entries": 20, "people": 15, "members": 8, "visitors": 12}),
    )
    totals = {"entries": 32, "people": 24, "members": 18, "visitors": 14}
    table = ReportTable("entries", ("purpose",), measures, rows, totals, "raw")
    published = publish(table)
    # members and visitors are check-ins by kind: they add up to entries, so with the
    # coworking's 2 visitors hidden, its members or its entries must go too.
    for key, shown_values in published.rows:
        for part, other in (("members", "visitors"), ("visitors", "members")):
            if shown_values[part] is None:
                assert shown_values["entries"] is None or shown_values[other] is None, key
    coworking = dict(published.rows)[("coworking",)]
    assert coworking["visitors"] is None
    assert coworking["members"] is None or coworking["entries"] is None
    for measure in measures:
        assert_unrecoverable(table, published, measure)


def test_hours_and_durations_are_hidden_with_the_people_they_describe() -> None:
    rows = (
        (("laser-cutter",), {"sessions": 3, "hours": 4.5}),
        (("printer-3d",), {"sessions": 40, "hours": 80.0}),
        (("cnc",), {"sessions": 12, "hours": 20.0}),
    )
    table = ReportTable(
        "usage", ("machine",), ("sessions", "hours"), rows, {"sessions": 55, "hours": 104.5}, "raw"
    )
    published = publish(table)
    laser = dict(published.rows)[("laser-cutter",)]
    assert laser == {"sessions": None, "hours": None}
    assert dict(published.rows)[("cnc",)] == {"sessions": None, "hours": None}
    assert published.totals == {"sessions": 55, "hours": 104.5}


cells = st.integers(min_value=0, max_value=30)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdefg"), cells, min_size=1))
def test_no_one_dimension_table_gives_a_hidden_cell_away(values: dict[str, int]) -> None:
    table = one_dim(values)
    published = publish(table)
    assert all(published.secrecy((k,), "entries") is SMALL for k, v in values.items() if 0 < v < 5)
    assert_unrecoverable(table, published, "entries")


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(
        st.tuples(st.sampled_from("abcd"), st.sampled_from(["10", "11", "12"])), cells, min_size=1
    )
)
def test_no_two_dimension_table_gives_a_hidden_cell_away(
    values: dict[tuple[str, str], int],
) -> None:
    table = two_dims(values)
    published = publish(table)
    assert all(published.secrecy(k, "entries") is SMALL for k, v in values.items() if 0 < v < 5)
    assert_unrecoverable(table, published, "entries")


def test_the_summary_page_hides_a_total_in_every_table_once_one_hides_it() -> None:
    """Two communes of 4 people each, hidden with their total as a complement: the key
    figures (the months' total) must not show the 8 that would give both away."""
    from station.reports.summary import _shared_totals

    communes = publish(one_dim({"62765": 4, "62297": 4}, "people"))
    months = publish(one_dim({"2026-01": 5, "2026-02": 3}, "people"))
    assert communes.totals["people"] is None  # the complement of the two small cells
    months_alone = publish(one_dim({"2026-01": 40, "2026-02": 30}, "people"))
    assert months_alone.totals["people"] == 70
    shared = _shared_totals([months_alone, communes, months])
    assert [t.totals["people"] for t in shared] == [None, None, None]
    assert all(t.secrecy(TOTAL, "people") is not None for t in shared)
    assert [k for k, _ in shared[0].rows] == [k for k, _ in months_alone.rows]
