"""An agent's outbox full of waiting events, as a sync outage leaves it (the replay
tests and bench/bench_replay.py)."""

from __future__ import annotations

import datetime as dt
import sqlite3
import uuid
from pathlib import Path

from door_agent.outbox import Outbox
from station.protocol.events import AgentEvent
from station.protocol.vocabulary import EventType

MARK = "be" * 32  # the credential hash of the backlog's events (an agent adds its own)
AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def fill_outbox(path: Path, agent: str, count: int) -> list[str]:
    """``count`` granted events waiting in the agent's outbox at ``path``, numbered
    ``data.n`` in the order they were committed; their ids, in that order."""
    ids: list[str] = []
    with Outbox(path) as outbox:
        for start in range(0, count, 10_000):
            events = [
                AgentEvent(
                    id=uuid.uuid4(),
                    agent=agent,
                    resource=agent,
                    type=EventType.GRANTED,
                    at=AT + dt.timedelta(seconds=n),
                    credential_hash=MARK,
                    data={"n": n},
                )
                for n in range(start, min(start + 10_000, count))
            ]
            outbox.append_many([(str(e.id), e.encode()) for e in events])
            ids += [str(e.id) for e in events]
    return ids


def outbox_depth(path: Path) -> int:
    """Events still waiting in another process's outbox (read-only)."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10) as conn:
        depth = int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])
    conn.close()
    return depth
