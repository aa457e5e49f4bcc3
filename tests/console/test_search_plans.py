"""On a PostgreSQL central every search and lookup of people reaches `members` by its
indexes.

With sequential scans disabled, a criterion that has no index way still scans every
person (a sequential scan, or a whole index read with a filter): an IN (subquery)
among the OR's ranges did so for a badge, 190 ms with 100,000 people, and every
`lower(email) = ...` in the database's collation (the indexes are COLLATE "C",
`station.db.lowered`) did so too (bench/bench_console.py). Every node that reads
`members` must be a bitmap of index ranges or an index scan with a condition (or, for
the records sharing an email, the index read in its order).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Select, event, func, select, text
from sqlalchemy.orm import Session

from console.members import _criterion
from station import registry
from station.credential import Credential
from station.db import Member, make_engine
from station.errors import Conflict
from station.importer.existing import email_holders, namesakes
from station.refusals import candidates
from sync import central
from tests.console.conftest import BADGE_KEY, START

pytestmark = pytest.mark.postgres


def _scans_of_members(plan: dict[str, Any]) -> list[dict[str, Any]]:
    found = [plan] if plan.get("Relation Name") == "members" else []
    for child in plan.get("Plans", []):
        found += _scans_of_members(child)
    return found


def _indexed(node: dict[str, Any]) -> bool:
    kind = node["Node Type"]
    return kind == "Bitmap Heap Scan" or (kind.startswith("Index") and "Index Cond" in node)


def _plan(db: Session, statement: Select[Any]) -> dict[str, Any]:
    compiled = statement.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    rows = db.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar_one()
    return dict(rows[0]["Plan"])


@pytest.mark.parametrize(
    "query", ["mar", "Camille Martin", "lucas.b@", "62765", "04A1B2C3", "04:a1:b2:c3"]
)
def test_every_search_uses_the_indexes_on_postgresql(pg_migrated_url: str, query: str) -> None:
    engine = make_engine(pg_migrated_url)
    try:
        writes = central.sessions(engine)
        with writes() as db, db.begin():
            lucas = registry.add_member(
                db, "Lucas", "Bernard", email="lucas.b@example.org", today=START.date()
            )
            registry.enroll_badge(db, lucas, Credential.uid("04A1B2C3"), BADGE_KEY)
        with writes() as db:
            db.execute(text("SET enable_seqscan = off"))
            criterion = _criterion(db, query, BADGE_KEY)
            assert criterion is not None
            matching = select(Member.id).where(Member.deleted_at.is_(None), criterion)
            for statement in (
                select(func.count()).select_from(matching.subquery()),
                select(Member).where(Member.deleted_at.is_(None), criterion).limit(25),
            ):
                scans = _scans_of_members(_plan(db, statement))
                assert scans and all(_indexed(node) for node in scans), (query, scans)
    finally:
        engine.dispose()


@contextmanager
def _statements(db: Session) -> Iterator[list[tuple[str, Any]]]:
    """The SELECTs reading `members` that run meanwhile, with their parameters."""
    seen: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "members" in statement:
            seen.append((statement, params))

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


LOOKUPS: dict[str, Callable[[Session], object]] = {
    "email holder": lambda db: registry.email_holder(db, "Lucas.B@example.org"),
    "find by email": lambda db: _found(db, "lucas.b@example.org"),
    "import: emails": lambda db: email_holders(db, ["lucas.b@example.org", "x@y.fr"]),
    "import: namesakes": lambda db: namesakes(db, [("Lucas", "Bernard", None)]),
    "records sharing an email": lambda db: candidates(db, None, emails=True),
}


@pytest.mark.parametrize("name", sorted(LOOKUPS))
def test_every_lookup_of_people_uses_the_indexes_on_postgresql(
    pg_migrated_url: str, name: str
) -> None:
    engine = make_engine(pg_migrated_url)
    try:
        writes = central.sessions(engine)
        with writes() as db, db.begin():
            for _ in range(2):  # two records of one email: something to group
                registry.add_member(
                    db, "Lucas", "Bernard", email="lucas.b@example.org", today=START.date()
                )
        with writes() as db:
            db.execute(text("SET enable_seqscan = off"))
            with _statements(db) as seen:
                LOOKUPS[name](db)
            assert seen, name
            connection = db.connection()
            for statement, params in seen:
                explained = connection.exec_driver_sql(
                    f"EXPLAIN (FORMAT JSON) {statement}", params
                ).scalar_one()
                scans = _scans_of_members(explained[0]["Plan"])
                assert scans and all(_indexed(n) or _in_order(n) for n in scans), (name, scans)
    finally:
        engine.dispose()


def _found(db: Session, ref: str) -> object:
    try:
        return registry.find_member(db, ref)
    except Conflict:  # two records of that email: found, both
        return None


def _in_order(node: dict[str, Any]) -> bool:
    """A whole index read for its order (a GROUP BY of the search key), no filter of it."""
    return node["Node Type"] == "Index Scan" and node.get("Index Name", "").startswith(
        "ix_members_search_"
    )
