"""Alembic migrations bring an empty database to the models' schema, on both engines."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

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
            differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    finally:
        engine.dispose()
    # Type-affinity noise aside, a missing migration shows up as added/removed tables/columns.
    structural = [
        d
        for d in differences
        if isinstance(d, tuple)
        and d[0] in {"add_table", "remove_table", "add_column", "remove_column"}
    ]
    assert structural == []


def test_db_upgrade_logs_each_migration_once_and_no_alembic_chatter(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.support.config import write_config

    config = write_config(tmp_path)

    def db_upgrade(*flags: str) -> list[str]:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "station.cli.main",
                *flags,
                "--config",
                str(config),
                "db",
                "upgrade",
            ],
            capture_output=True,
            text=True,
            timeout=60,
            env=dict(os.environ),
        )
        assert result.returncode == 0, result.stderr
        return result.stderr.splitlines()

    url = f"sqlite:///{tmp_path / 'site.db'}"
    revisions = list(ScriptDirectory.from_config(alembic_config(url)).walk_revisions())
    lines = db_upgrade()
    # One INFO line per migration run, naming it; nothing of alembic's own set-up.
    assert len(lines) == len(revisions) >= 2, lines
    assert all(" INFO station.migrations: " in line and url in line for line in lines)
    assert "upgrade empty -> 0001 (initial schema)" in lines[0]
    assert "alembic" not in "\n".join(lines)
    assert db_upgrade() == []  # nothing to migrate: nothing said
    asked = "\n".join(db_upgrade("-v"))  # unless asked for more
    assert " INFO alembic.runtime." in asked  # "Context impl SQLiteImpl." and the like


def test_audit_log_is_indexed_by_target_in_models_and_migrations(empty_url: str) -> None:
    # Forgetting a person looks up the audit entries naming them: by target, not a scan.
    upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        migrated = {
            tuple(index["column_names"]) for index in inspect(engine).get_indexes("audit_log")
        }
    finally:
        engine.dispose()
    modelled = {
        tuple(column.name for column in index.columns)
        for index in Base.metadata.tables["audit_log"].indexes
    }
    assert ("target",) in migrated
    assert migrated == modelled
