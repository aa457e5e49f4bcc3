"""Migration 0026: members secure_only and resources require_secure, off for the rows
already there, on both engines; and back."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from station.db import make_engine, upgrade
from station.db.engine import alembic_config


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/site.db"
    return str(request.getfixturevalue("pg_url"))


def test_existing_rows_start_off_and_the_columns_go_back(url: str) -> None:
    upgrade(url, "0025")
    engine = make_engine(url)
    member, resource = uuid.uuid4(), uuid.uuid4()
    try:
        with engine.begin() as db:
            db.execute(
                text(
                    "INSERT INTO members (id, kind, first_name, last_name, created_at, revision, "
                    "updated_at, dirty) VALUES (:id, 'member', 'Inès', 'Moreau', "
                    "CURRENT_TIMESTAMP, 1, CURRENT_TIMESTAMP, false)"
                ),
                {"id": member.hex if url.startswith("sqlite") else str(member)},
            )
            db.execute(
                text(
                    "INSERT INTO resources (id, site_id, code, kind, name, enabled, out_of_order, "
                    "schedule, required_trainings, revision, updated_at, dirty) VALUES (:id, "
                    "'site-a', 'front-door', 'door', 'Front door', true, false, 'always', '[]', "
                    "1, CURRENT_TIMESTAMP, false)"
                ),
                {"id": resource.hex if url.startswith("sqlite") else str(resource)},
            )
        upgrade(url)
        with engine.connect() as db:
            assert db.execute(text("SELECT secure_only FROM members")).scalar_one() in (False, 0)
            flag = db.execute(text("SELECT require_secure FROM resources")).scalar_one()
            assert flag in (False, 0)
        command.downgrade(alembic_config(url), "0025")
        columns = {c["name"] for c in inspect(engine).get_columns("members")}
        assert "secure_only" not in columns and "first_name" in columns
        assert "require_secure" not in {c["name"] for c in inspect(engine).get_columns("resources")}
        with engine.connect() as db:  # the rows are still there
            assert db.execute(text("SELECT first_name FROM members")).scalar_one() == "Inès"
    finally:
        engine.dispose()
