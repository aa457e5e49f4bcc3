"""The agent's SQLite files (grant cache, outbox): opened and closed the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from types import TracebackType
from typing import ClassVar, Self

from door_agent.errors import AgentError


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
    # A whole snapshot is one transaction of tens of MB: without a limit its WAL keeps
    # that size on the SD card after the checkpoint, for nothing.
    conn.execute("PRAGMA journal_size_limit=4194304")
    return conn


class SqliteFile:
    """One SQLite file of the agent: `close` is safe twice, then any use raises
    ``closed_error`` (the loop's own exception for that file, never sqlite3's)."""

    closed_error: ClassVar[type[AgentError]] = AgentError
    name: ClassVar[str] = "the file"

    def __init__(self, path: Path, *, durable: bool, schema: str) -> None:
        self.path = path
        self._conn: sqlite3.Connection | None = connect(path, durable=durable)
        self._conn.executescript(schema)

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _db(self) -> sqlite3.Connection:
        if self._conn is None:
            raise self.closed_error(f"{self.name} is closed")
        return self._conn
