"""On a PostgreSQL central every kind of search reaches `members` by its indexes.

With sequential scans disabled, a criterion that has no index way still scans every
person (a sequential scan, or a whole index read with a filter): an IN (subquery)
among the OR's ranges did so for a badge, 190 ms with 100,000 people
(bench/bench_console.py). Every node that reads `members` must be a bitmap of index
ranges or an index scan with a condition.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

from console.members import _criterion
from station import registry
from station.credential import Credential
from station.db import Member, make_engine
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
