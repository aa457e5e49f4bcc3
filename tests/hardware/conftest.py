"""Fixtures of the hardware tests: an event collector standing in for the owner's queue
(tests/support/readers.py), gpiozero's MockFactory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory

from tests.support.readers import Events


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def mock_factory() -> Iterator[MockFactory]:
    factory = MockFactory()
    yield factory
    factory.reset()
