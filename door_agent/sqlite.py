"""Opening the agent's SQLite files (grant cache, outbox) the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def connect(path: Path, *, durable: bool) -> sqlite3.Connection:
    """A connection in WAL mode; ``durable`` syncs every commit to disk (the outbox).

    Used by the loop thread only; ``check_same_thread=False`` because the agent
    may be built in one thread and run in another (tests, benchmarks).
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA journal_mode=WAL")
    # FULL: a committed event survives a power cut, not only a killed process.
    conn.execute(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}")
    return conn
