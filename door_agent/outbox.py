"""The durable outbox: every event is committed here before it is published, and
deleted only when the site acknowledges it end to end (sync's ack message, not
the broker's PUBACK). Also remembers the ids of commands already received, so a
command is single use across restarts.

Nothing is ever dropped: beyond ``alarm_at`` waiting events `over_alarm` turns
true (the agent raises an alarm) and events keep being stored.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path

from door_agent.errors import OutboxError
from door_agent.sqlite import SqliteFile

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    payload BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS seen_commands (id TEXT PRIMARY KEY, at REAL NOT NULL);
"""
SEEN_KEEP_S = 3 * 86400  # commands live at most 24 h (check_command); keep ids longer


class Outbox(SqliteFile):
    closed_error = OutboxError
    name = "the outbox"

    def __init__(self, path: Path, *, alarm_at: int = 100_000) -> None:
        super().__init__(path, durable=True, schema=SCHEMA)
        self.alarm_at = alarm_at
        self.depth = int(self._db().execute("SELECT count(*) FROM outbox").fetchone()[0])

    @property
    def over_alarm(self) -> bool:
        return self.depth >= self.alarm_at

    def append_many(self, events: list[tuple[str, bytes]]) -> None:
        """Commit events in one transaction (one disk sync for what one input caused)."""
        if not events:
            return
        conn = self._db()
        try:
            conn.execute("BEGIN")
            conn.executemany("INSERT INTO outbox (id, payload) VALUES (?, ?)", events)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise OutboxError(f"cannot store {len(events)} event(s): {exc}") from exc
        self.depth += len(events)

    def after(self, seq: int, limit: int) -> list[tuple[int, str, bytes]]:
        """Up to ``limit`` waiting events after ``seq``, oldest first."""
        rows = (
            self._db()
            .execute(
                "SELECT seq, id, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
                (seq, limit),
            )
            .fetchall()
        )
        return [(int(s), str(i), bytes(p)) for s, i, p in rows]

    def ack(self, ids: Iterable[str]) -> int:
        """Delete acknowledged events; unknown ids (acked twice) are ignored."""
        wanted = list(ids)
        if not wanted:
            return 0
        conn = self._db()
        removed = 0
        conn.execute("BEGIN")
        try:
            for start in range(0, len(wanted), 500):  # SQLite's variable limit
                chunk = wanted[start : start + 500]
                marks = ",".join("?" * len(chunk))
                removed += conn.execute(f"DELETE FROM outbox WHERE id IN ({marks})", chunk).rowcount
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise OutboxError(f"cannot delete acknowledged events: {exc}") from exc
        self.depth -= removed
        return removed

    # -- single-use commands ---------------------------------------------------------

    def command_seen(self, command_id: str, now: float | None = None) -> bool:
        """Remember ``command_id`` durably; True if it had been seen before."""
        at = time.time() if now is None else now
        cursor = self._db().execute(
            "INSERT OR IGNORE INTO seen_commands (id, at) VALUES (?, ?)", (command_id, at)
        )
        return cursor.rowcount == 0

    def forget_old_commands(self, now: float | None = None) -> None:
        at = time.time() if now is None else now
        self._db().execute("DELETE FROM seen_commands WHERE at < ?", (at - SEEN_KEEP_S,))
