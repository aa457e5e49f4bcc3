"""The outbox holds 100,000 events and more, in order, and forgets only what is acked."""

from __future__ import annotations

from pathlib import Path

from door_agent.outbox import Outbox

COUNT = 120_000


def test_holds_more_than_100000_events_in_order(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    with Outbox(path, alarm_at=100_000) as outbox:
        for start in range(0, COUNT, 10_000):
            outbox.append_many([(f"e{i:06d}", b"{}") for i in range(start, start + 10_000)])
        assert outbox.depth == COUNT and outbox.over_alarm  # alarm raised, nothing dropped
    with Outbox(path, alarm_at=100_000) as outbox:  # reopened: all still there
        assert outbox.depth == COUNT
        first = outbox.after(0, 3)
        assert [event_id for _, event_id, _ in first] == ["e000000", "e000001", "e000002"]
        assert outbox.ack(f"e{i:06d}" for i in range(0, 30_000)) == 30_000
        assert outbox.ack(["e000000", "unknown"]) == 0  # twice, or never sent: ignored
        assert outbox.depth == 90_000 and not outbox.over_alarm
        rest = outbox.after(0, COUNT)
        assert [event_id for _, event_id, _ in rest] == [f"e{i:06d}" for i in range(30_000, COUNT)]


def test_command_ids_are_single_use_and_durable(tmp_path: Path) -> None:
    path = tmp_path / "outbox.db"
    with Outbox(path) as outbox:
        assert not outbox.command_seen("c1", now=1000.0)
        assert outbox.command_seen("c1", now=1001.0)
    with Outbox(path) as outbox:
        assert outbox.command_seen("c1")
        outbox.forget_old_commands(now=1000.0 + 4 * 86400)
        assert not outbox.command_seen("c1")
