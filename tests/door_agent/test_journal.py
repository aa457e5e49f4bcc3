"""A machine session cut by a crash is ended at the next start, as of the last time
the agent was seen running (the subprocess SIGKILL case is in test_process.py)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from door_agent.agent import Agent
from door_agent.journal import SEEN_EVERY_S, SessionJournal
from door_agent.machine import MachineUse
from door_agent.outbox import Outbox
from door_agent.store import AgentStore
from hardware.readers import BadgePresented
from station.credential import Credential
from station.protocol import topics
from station.protocol.events import AgentEvent
from station.protocol.vocabulary import EventType, MachineState
from tests.support.agents import deliver, laser_snapshot
from tests.support.wait import wait_for

T0 = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)


def test_the_last_seen_time_is_kept_and_recovered(tmp_path: Path, caplog) -> None:
    wall = [T0]
    session = MachineUse("ab" * 32, "member-1", False, 100.0, 100.0)
    with AgentStore(tmp_path / "grants.db") as cache:
        journal = SessionJournal(cache, lambda: wall[0])
        journal.opened(session, T0, 100.0)
        wall[0] = T0 + dt.timedelta(seconds=20)
        journal.seen(100.0 + SEEN_EVERY_S - 1)  # too soon: not written
        wall[0] = T0 + dt.timedelta(seconds=95)
        journal.seen(100.0 + SEEN_EVERY_S)
        wall[0] = T0 + dt.timedelta(seconds=99)
        journal.seen(100.0 + SEEN_EVERY_S + 1)  # too soon again
    with AgentStore(tmp_path / "grants.db") as cache:  # the restart
        journal = SessionJournal(cache, lambda: wall[0])
        ended = journal.recover()
        assert ended is not None
        assert (ended.type, ended.reason, ended.credential_hash, ended.member) == (
            "session_ended",
            "agent_restarted",
            "ab" * 32,
            "member-1",
        )
        assert ended.data == {
            "session_id": session.id,
            "duration_s": 95.0,
            "end_reason": "agent_restarted",
            "staff": False,
            "started_at": T0.isoformat(),
            "ended_at": (T0 + dt.timedelta(seconds=95)).isoformat(),
        }
        journal.forget()
        assert journal.recover() is None

        cache.remember("session", "{not json")  # damaged: dropped with an error, no crash
        with caplog.at_level(logging.ERROR, logger="door_agent.journal"):
            assert journal.recover() is None
        assert "unreadable" in caplog.text
        assert journal.recover() is None


def test_a_machine_checked_after_use_needs_its_check_after_a_crash(make_config, run_agent) -> None:
    config = make_config({"agents": {"laser-cutter": {"reader": {"debounce_s": 0}}}})
    crashed = Agent(config, "laser-cutter", pin_factory=MockFactory(), connect=False)
    deliver(crashed, topics.GRANTS, laser_snapshot(crashed, 1, "05000001"))
    crashed.loop.handle(
        BadgePresented("laser-cutter", Credential.uid("05000001"), time.monotonic())
    )
    assert crashed.io.relay.is_on
    started = next(
        e
        for _, _, p in crashed.outbox.after(0, 100)
        if (e := AgentEvent.decode(p)).type == "session_started"
    )
    crashed.close()  # its loop never stopped: as after SIGKILL

    agent = run_agent(config, "laser-cutter", connect=False)

    def ended() -> list[AgentEvent]:
        events = [AgentEvent.decode(p) for _, _, p in agent.agent.outbox.after(0, 100)]
        return [e for e in events if e.type == "session_ended"]

    event = wait_for(ended, what="the cut session ended")[0]
    assert (event.reason, event.data["session_id"]) == (
        "agent_restarted",
        started.data["session_id"],
    )
    assert agent.call(lambda: agent.agent.controller.state) is MachineState.TO_CHECK
    assert not agent.relay
    agent.stop()  # nothing left to end
    with Outbox(config.agent_data_dir("laser-cutter") / "outbox.db") as outbox:
        types = [AgentEvent.decode(p).type for _, _, p in outbox.after(0, 100)]
    assert types.count(EventType.SESSION_ENDED) == 1 and types[-1] == "agent_stopped"
