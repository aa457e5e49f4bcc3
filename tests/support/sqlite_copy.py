"""A migrated SQLite database copied from the session's template, without migrating."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def copy_sqlite(template: Path, path: Path) -> str:
    """Copy `template` to `path` (SQLite's backup API, consistent even if open) and
    return the copy's URL."""
    source, target = sqlite3.connect(template), sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    return f"sqlite:///{path}"
