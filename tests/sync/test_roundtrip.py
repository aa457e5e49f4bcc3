"""PostgreSQL <-> SQLite round trips of every replicated model, through sync's own path.

Rows are generated from each model's columns (their types, lengths, nullability,
foreign and unique keys, all read from the metadata) with the edge values of
each type: aware datetimes in far offsets, the first and last dates, None, any
unicode, texts at the column's limit, JSON of any shape. Registry rows go down
(central -> site by `sync_down`) and, as a site's own, up (`upload_registry`);
history rows go up (`upload_history`, PostgreSQL's COPY). What arrives must equal
what was written, column for column, except the columns sync sets on purpose.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    Engine,
    Enum,
    Float,
    Integer,
    String,
    Table,
    Time,
    Uuid,
    delete,
    insert,
    select,
)

from station.db import Member, Training, utcnow
from station.db.types import UTCDateTime
from sync import central
from sync.cursors import read_cursor
from sync.down import sync_down
from sync.field_rules import field_refusal
from sync.rows import by_type
from sync.tables import (
    DOWN_MODELS,
    HISTORY_MODELS,
    NATURAL_KEYS,
    NOT_UPLOADED,
    UP_REGISTRY_MODELS,
    primary_key,
    table_of,
)
from sync.up import upload_history, upload_registry

pytestmark = pytest.mark.postgres

SITE = "site-a"
MEMBERS = (uuid.UUID(int=1), uuid.UUID(int=2))  # parents present at both ends
TRAININGS = ("laser", "soldering")
ROUND_TRIP = settings(
    max_examples=40,
    deadline=None,
    # The databases are the fixtures' but each example starts from cleared tables.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# PostgreSQL's text cannot hold NUL (a limit of the database, not of sync).
TEXT = st.characters(codec="utf-8", exclude_characters="\x00")
ZONES = st.sampled_from(
    [
        dt.UTC,
        dt.timezone(dt.timedelta(hours=14)),
        dt.timezone(dt.timedelta(hours=-12, minutes=-30)),
        ZoneInfo("Europe/Paris"),
        ZoneInfo("Pacific/Chatham"),
    ]
)
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=10,
)


# What station.fields lets a person's texts hold (no controls, bidirectional
# formatting or line separators): central refuses anything else from a site
# (sync.field_rules, tested in test_field_rules_intake).
FIELD_TEXT = st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Zl", "Zp"))


def _field_text(limit: int, *, required: bool = False) -> st.SearchStrategy[str]:
    text = st.text(FIELD_TEXT, min_size=int(required), max_size=limit)
    texts = text | st.text(FIELD_TEXT, min_size=limit, max_size=limit)
    return texts.filter(str.strip) if required else texts


# The columns of a site's registry rows that central checks against the field rules.
FIELD_RULED: dict[str, dict[str, st.SearchStrategy[Any]]] = {
    "members": {
        "first_name": _field_text(100, required=True),
        "last_name": _field_text(100),
        "email": st.none() | st.emails().filter(lambda e: len(e) <= 254),
    },
    "memberships": {"plan": _field_text(64)},
    "credentials": {"label": _field_text(100)},
    "member_trainings": {"granted_by": _field_text(100)},
}


def _text(column: Column[Any]) -> st.SearchStrategy[Any]:
    limit = getattr(column.type, "length", None) or 2000
    at_limit = st.text(TEXT, min_size=limit, max_size=limit)
    return st.text(TEXT, max_size=limit) | at_limit


def _enum(column: Column[Any]) -> st.SearchStrategy[Any]:
    enum_class = getattr(column.type, "enum_class", None)
    return st.sampled_from(list(enum_class) if enum_class else column.type.enums)  # type: ignore[attr-defined]


# Column type -> values of that type, with its edges (looked up as sync.rows does).
VALUES: dict[type[Any], Callable[[Column[Any]], st.SearchStrategy[Any]]] = {
    UTCDateTime: lambda _c: st.datetimes(
        min_value=dt.datetime(1, 1, 2),
        max_value=dt.datetime(9999, 12, 30),
        timezones=ZONES,
        allow_imaginary=False,
    ),
    Date: lambda _c: st.dates(),
    Time: lambda _c: st.times(),
    Uuid: lambda _c: st.uuids(),
    Boolean: lambda _c: st.booleans(),
    BigInteger: lambda _c: st.integers(-(2**63), 2**63 - 1),
    Integer: lambda _c: st.integers(-(2**31), 2**31 - 1),
    Float: lambda _c: st.floats(allow_nan=False, allow_infinity=False),
    JSON: lambda _c: JSON_VALUES,
    Enum: _enum,
    String: _text,
}


def _column_values(column: Column[Any], fixed: dict[str, Any]) -> st.SearchStrategy[Any]:
    if column.name in fixed:
        return st.just(fixed[column.name])
    if column.foreign_keys:
        (fk,) = column.foreign_keys
        parents = MEMBERS if fk.column.table.name == "members" else TRAININGS
        values: st.SearchStrategy[Any] = st.sampled_from(parents)
    else:
        make = by_type(column, VALUES)
        assert make is not None, f"no values for {column.table.name}.{column.name}"
        values = make(column)
    if column.primary_key:  # not one of the parents kept at both ends
        values = values.filter(lambda v: v not in (*MEMBERS, *TRAININGS))
    return st.none() | values if column.nullable else values


def rows_of(
    table: Table,
    drawn: dict[str, st.SearchStrategy[Any]] | None = None,
    **fixed: Any,
) -> st.SearchStrategy[list[dict[str, Any]]]:
    """One to four rows of `table`, distinct in every unique key; `drawn` gives some
    columns their own values."""
    drawn = drawn or {}
    row = st.fixed_dictionaries(
        {c.name: drawn.get(c.name) or _column_values(c, fixed) for c in table.columns}
    )
    keys = [(primary_key(table),), *NATURAL_KEYS.get(table.name, ())]
    return st.lists(row, min_size=1, max_size=4, unique_by=tuple(_key(k) for k in keys))


def _key(columns: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    return lambda row: tuple(row[c] for c in columns)


def _comparable(value: Any) -> Any:
    # Aware datetimes compare as instants; a zone's fold would make `==` refuse.
    return value.astimezone(dt.UTC) if isinstance(value, dt.datetime) else value


def assert_arrived(
    engine: Engine, table: Table, written: list[dict[str, Any]], skip: frozenset[str]
) -> dict[Any, dict[str, Any]]:
    """Every written row is in `engine`, equal in each column but `skip`; the rows read."""
    pk = primary_key(table)
    with engine.connect() as connection:
        found = {r[pk]: dict(r) for r in connection.execute(select(table)).mappings()}
    for row in written:
        assert row[pk] in found, f"{table.name} {row[pk]!r} missing"
        got = found[row[pk]]
        for name, value in row.items():
            if name not in skip:
                assert _comparable(got[name]) == _comparable(value), (table.name, name)
    return found


def clear(engine: Engine, table: Table) -> None:
    """Every row of `table` but the parents kept at both ends."""
    kept = {"members": MEMBERS, "trainings": TRAININGS}.get(table.name, ())
    with engine.begin() as connection:
        connection.execute(delete(table).where(table.c[primary_key(table)].not_in(kept)))


@pytest.fixture
def ends(site_engine: Engine, central_engine: Engine) -> Iterator[tuple[Engine, Engine]]:
    """Site and central, with the parents every generated child may refer to."""
    with central.session(central_engine) as db:
        db.add_all(Member(id=i, first_name=f"Parent {i.int}") for i in MEMBERS)
        db.add_all(Training(code=code, name_fr=code, name_en=code) for code in TRAININGS)
    sync_down(site_engine, central_engine, batch_size=100)
    yield site_engine, central_engine


@pytest.mark.parametrize("model", DOWN_MODELS, ids=lambda m: m.__tablename__)
def test_registry_rows_come_down_as_central_has_them(
    model: Any, ends: tuple[Engine, Engine]
) -> None:
    site, central_engine = ends
    table = table_of(model)

    @ROUND_TRIP
    @given(rows=rows_of(table, dirty=False))  # central's rows are never pending upload
    def round_trip(rows: list[dict[str, Any]]) -> None:
        clear(site, table)
        clear(central_engine, table)
        with central.session(central_engine) as db:  # revisions as any central write
            db.add_all(model(**row) for row in rows)
        with site.connect() as connection:
            cursor = read_cursor(connection)
        result = sync_down(site, central_engine, batch_size=3)
        assert result.cursor > cursor
        # `revision` is central's, `updated_at` the site's clock (see sync.down.apply).
        central_rows = assert_arrived(central_engine, table, rows, frozenset({"revision"}))
        arrived = assert_arrived(site, table, rows, frozenset({"revision", "updated_at"}))
        for key, row in arrived.items():
            if key in central_rows:
                assert row["revision"] == central_rows[key]["revision"]

    round_trip()


@pytest.mark.parametrize("model", UP_REGISTRY_MODELS, ids=lambda m: m.__tablename__)
def test_registry_rows_created_at_a_site_reach_central(
    model: Any, ends: tuple[Engine, Engine]
) -> None:
    site, central_engine = ends
    table = table_of(model)

    ruled = rows_of(table, FIELD_RULED.get(table.name), dirty=True, updated_at=utcnow())
    # NFC may lengthen a text at its limit: such rows are refused, as tested elsewhere.
    kept = ruled.filter(lambda rows: all(field_refusal(model, r) is None for r in rows))

    @ROUND_TRIP
    @given(rows=kept)
    def round_trip(rows: list[dict[str, Any]]) -> None:
        clear(site, table)
        clear(central_engine, table)
        with site.begin() as connection:
            connection.execute(insert(table), rows)
        accepted, rejected = upload_registry(site, central_engine, SITE, batch_size=3)
        assert (accepted, rejected) == (len(rows), 0)
        found = assert_arrived(central_engine, table, rows, NOT_UPLOADED)
        for row in rows:
            assert found[row[primary_key(table)]]["origin_site"] == (row["origin_site"] or SITE)

    round_trip()


@pytest.mark.parametrize("model", HISTORY_MODELS, ids=lambda m: m.__tablename__)
def test_history_rows_reach_central_as_the_site_wrote_them(
    model: Any, ends: tuple[Engine, Engine]
) -> None:
    site, central_engine = ends
    table = table_of(model)

    @ROUND_TRIP
    @given(rows=rows_of(table, uploaded_at=None))
    def round_trip(rows: list[dict[str, Any]]) -> None:
        clear(site, table)
        clear(central_engine, table)
        with site.begin() as connection:
            connection.execute(insert(table), rows)
        assert upload_history(site, central_engine, batch_size=3) == len(rows)
        found = assert_arrived(central_engine, table, rows, frozenset({"uploaded_at"}))
        assert all(found[row["id"]]["uploaded_at"] is not None for row in rows)

    round_trip()
