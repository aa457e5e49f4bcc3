"""The systemd watchdog while the loop applies a large grant snapshot (seconds of work
on a Raspberry Pi): kicked before and after each long step, so that only a step
longer than WatchdogSec on its own, not the time since the last turn of the loop
plus the step, gets the agent killed and restarted in a loop."""

from __future__ import annotations

import socket
from pathlib import Path

from gpiozero.pins.mock import MockFactory

from door_agent.agent import Agent
from door_agent.inbox import MqttMessage
from door_agent.watchdog import Watchdog
from station.protocol import topics
from station.protocol.grants import make_snapshot
from station.rules import ResourceFacts
from station.schedule import Schedule
from tests.support.agents import member_entry
from tests.support.keys import site_signer, site_trust


def test_the_watchdog_is_kicked_around_a_snapshot(make_config, tmp_path: Path, monkeypatch) -> None:
    config = make_config()
    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(0)
    # 20 s: kicks at most every 5 s in normal running, so none is due during this test.
    monkeypatch.setenv("NOTIFY_SOCKET", str(notify_path))  # sdnotify reads it there
    monkeypatch.setenv("WATCHDOG_USEC", "20000000")
    watchdog = Watchdog()
    agent = Agent(config, "front-door", pin_factory=MockFactory(), connect=False, watchdog=watchdog)
    try:
        watchdog.kick(agent.loop.clock())  # as the loop has just done
        entries = {f"{n:064x}": member_entry() for n in range(1000)}
        payload = make_snapshot(
            config.site.id,
            "front-door",
            1,
            ResourceFacts("front-door", (), Schedule.open_always()),
            entries,
            site_trust(config),
            site_signer(config),
        )
        before = watchdog.kicks
        agent.loop.handle(MqttMessage(topics.GRANTS, payload))
        assert agent.store.version == 1
        assert watchdog.kicks - before >= 2  # before the check, before the write
        messages = []
        while True:
            try:
                messages.append(notify.recv(4096).decode())
            except BlockingIOError:
                break
        assert messages.count("WATCHDOG=1") >= 3
    finally:
        agent.close()
        notify.close()
