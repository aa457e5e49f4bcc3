"""`console.app`: start-up's heap set apart from the collector, young passes spaced."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient


@pytest.fixture
def collector() -> Iterator[None]:
    """The test process's collector as it was, after the console changed it."""
    thresholds = gc.get_threshold()
    yield
    gc.set_threshold(*thresholds)


@pytest.mark.usefixtures("collector")
def test_start_up_freezes_its_heap_and_spaces_the_young_passes(app: Starlette) -> None:
    gc.set_threshold(700, 10, 10)  # Python's default
    with TestClient(app, follow_redirects=False) as client:
        assert client.get("/login").status_code == 200
        assert gc.get_freeze_count() > 10_000  # modules, templates, the application
        young, *_ = gc.get_threshold()
        assert young >= 10_000  # a page's table is tens of thousands of objects
