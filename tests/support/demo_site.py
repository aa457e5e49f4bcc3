"""The demo's site and central databases, for tests that read a lived-in site."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from station.cli.demo import _prepare_databases
from station.config import load_config
from tests.support.config import write_config

# The demo's three months of history end on this Wednesday afternoon.
DEMO_NOW = dt.datetime(2026, 11, 25, 15, 30, tzinfo=dt.UTC)
DEMO_YEAR = ["--year", "2026", "--to", "2026-11-25"]  # `station report summary`'s range


def make_demo(directory: Path) -> Path:
    """The demo's site and central databases, with their history and tallies; the config."""
    path = write_config(directory)
    _prepare_databases(load_config(str(path)), now=DEMO_NOW)
    return path
