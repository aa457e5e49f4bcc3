"""Alembic migrations bring an empty database to the models' schema, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from station.db import Base, current_revision, make_engine, upgrade
from station.db.engine import alembic_config


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/empty.db"
    return str(request.getfixturevalue("pg_url"))


def test_upgrade_empty_database_to_head_matches_models(empty_url: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(empty_url)).get_current_head()
    assert current_revision(empty_url) is None
    upgrade(empty_url)
    assert current_revision(empty_url) == head
    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection),
                                           Base.metadata)
    finally:
        engine.dispose()
    # Type-affinity noise aside, a missing migration shows up as added/removed tables/columns.
    structural = [d for d in differences
                  if isinstance(d, tuple) and d[0] in {"add_table", "remove_table",
                                                       "add_column", "remove_column"}]
    assert structural == []
