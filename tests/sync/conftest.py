"""Fixtures of the sync tests: a PostgreSQL central, an SQLite site, engines on both."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from station.db import make_engine


@pytest.fixture
def central_url(pg_migrated_url: str) -> str:
    """A fresh central registry on PostgreSQL, at head (a copy of the session's template)."""
    return pg_migrated_url


@pytest.fixture
def central_engine(central_url: str) -> Iterator[Engine]:
    engine = make_engine(central_url)
    yield engine
    engine.dispose()


@pytest.fixture
def site_engine(site_db: str) -> Iterator[Engine]:
    engine = make_engine(site_db)
    yield engine
    engine.dispose()
