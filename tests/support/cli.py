"""The `station` command as the tests and benchmarks start it: this interpreter, the
checkout's package, a configuration file."""

from __future__ import annotations

import sys
from pathlib import Path


def station_argv(config: Path | str, *args: str) -> list[str]:
    """argv for ``station --config CONFIG ARGS...`` (global flags may come in ARGS)."""
    return [sys.executable, "-m", "station.cli.main", "--config", str(config), *args]
