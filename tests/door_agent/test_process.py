"""`station agent --id` as a real process: SIGKILL mid-way loses no committed event,
SIGTERM stops cleanly with the relay off, systemd is notified (READY, WATCHDOG, STOPPING)."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import sqlite3
import subprocess
import threading
from pathlib import Path

from hardware.exc import ReaderUnavailable
from hardware.readers.sim import send_command
from station.config import StationConfig
from station.credential import Credential
from station.protocol.events import AgentEvent
from station.protocol.vocabulary import EventType
from tests.support.agents import TIMEOUT, agent_overrides, member_entry
from tests.support.cli import station_argv
from tests.support.wait import wait_for

AGENT = "front-door"


def _start(
    config: StationConfig, env: dict[str, str] | None = None, agent: str = AGENT
) -> subprocess.Popen[bytes]:
    log = (config.source.parent / "agent.log").open("ab")
    return subprocess.Popen(
        station_argv(config.source, "-v", "agent", "--id", agent),
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})},
    )


def _committed(config: StationConfig, agent: str = AGENT) -> list[str]:
    return [str(event.id) for event in _committed_events(config, agent)]


def _committed_events(config: StationConfig, agent: str = AGENT) -> list[AgentEvent]:
    path = config.agent_data_dir(agent) / "outbox.db"
    with sqlite3.connect(path) as conn:  # opening recovers the WAL, as a restart would
        payloads = [row[0] for row in conn.execute("SELECT payload FROM outbox ORDER BY seq")]
    conn.close()
    return [AgentEvent.decode(bytes(payload)) for payload in payloads]


def test_sigkill_midway_loses_no_committed_event(make_config, make_site) -> None:
    config = make_config(agent_overrides(**{AGENT: {"pins": {"contact": 0}}}))
    site = make_site(config, AGENT, auto_ack=False)
    uids = [f"0B{i:06X}" for i in range(400)]
    hashes = [Credential.uid(u).keyed_hash(config.badge_key) for u in uids]
    site.publish_grants(site.snapshot({h: member_entry() for h in hashes[::2]}))
    process = _start(config)
    try:
        site.wait_event("grants_applied", timeout=30)
        sock = config.sim_socket(AGENT)
        stop_tapping = threading.Event()

        def tapping() -> None:
            for uid in uids:
                if stop_tapping.is_set():
                    return
                try:
                    send_command(sock, f"present {uid}")
                    send_command(sock, "remove")
                except (ReaderUnavailable, OSError):
                    return  # killed

        tapper = threading.Thread(target=tapping, daemon=True)
        tapper.start()
        site.wait_event("granted", 25, timeout=30)
        process.send_signal(signal.SIGKILL)
        process.wait(TIMEOUT)
        stop_tapping.set()
        tapper.join(TIMEOUT)
    finally:
        if process.poll() is None:
            process.kill()
    committed = _committed(config)
    received = {str(e.id) for e in site.events}
    assert len(committed) >= 50
    assert received <= set(committed)  # nothing was published before being committed
    assert not site.of_type("agent_stopped")  # it died, it did not stop

    site.auto_ack = True
    restarted = _start(config)
    try:
        wait_for(
            lambda: set(committed) <= {str(e.id) for e in site.events},
            timeout=60,
            what="every committed event delivered after the restart",
        )
        site.ack_all()
        decided = site.of_type("granted", "denied")
        assert [e.credential_hash for e in decided] == hashes[: len(decided)]  # in tap order
        assert len({e.id for e in site.events}) == len(site.events)
        wait_for(
            lambda: len(_committed(config)) <= 1,
            timeout=60,
            what="the backlog acknowledged and deleted",
        )
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(TIMEOUT) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()
    stopped = site.wait_event("agent_stopped")[0]
    assert stopped.data["relay"] is False and stopped.data["why"] == "signal SIGTERM"
    wait_for(
        lambda: site.statuses and site.statuses[-1]["online"] is False,
        what="retained status offline",
    )
    assert site.statuses[-1]["relay"] is False


def test_systemd_notifications(make_config, make_site, tmp_path: Path) -> None:
    config = make_config(agent_overrides(**{AGENT: {}}))
    site = make_site(config, AGENT)
    notify_path = tmp_path / "notify.sock"
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(notify_path))
    notify.settimeout(TIMEOUT)
    process = _start(config, {"NOTIFY_SOCKET": str(notify_path), "WATCHDOG_USEC": "200000"})
    messages: list[str] = []
    try:
        while messages.count("WATCHDOG=1") < 3:
            messages.append(notify.recv(4096).decode())
        assert messages[0].startswith("READY=1")
        site.wait_event("agent_started")
        process.send_signal(signal.SIGTERM)
        assert process.wait(TIMEOUT) == 0
        while "STOPPING=1" not in messages:
            messages.append(notify.recv(4096).decode())
    finally:
        if process.poll() is None:
            process.kill()
        notify.close()
    assert messages.index("STOPPING=1") > messages.index("WATCHDOG=1")


def test_station_reader_tap_reaches_the_agent(make_config, make_site) -> None:
    config = make_config(agent_overrides(**{AGENT: {}}))
    site = make_site(config, AGENT)
    site.publish_grants(
        site.snapshot({Credential.uid("04000001").keyed_hash(config.badge_key): member_entry()})
    )
    process = _start(config)
    try:
        site.wait_event("grants_applied", timeout=30)
        tap = subprocess.run(
            station_argv(config.source, "reader", "tap", "--reader", AGENT, "04000001"),
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
        assert tap.returncode == 0, tap.stderr
        granted = site.wait_event("granted")[0]
        assert granted.credential_hash == Credential.uid("04000001").keyed_hash(config.badge_key)
        process.send_signal(signal.SIGTERM)
        assert process.wait(TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_unknown_agent_id_is_a_clear_error(make_config) -> None:
    config = make_config()
    result = subprocess.run(
        station_argv(config.source, "agent", "--id", "no-such-agent"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 2
    assert "agents.no-such-agent: no such agent" in result.stderr
    assert "front-door" in result.stderr


def test_relay_off_only_for_execstoppost(make_config) -> None:
    config = make_config()
    result = subprocess.run(
        station_argv(config.source, "agent", "--id", AGENT, "--relay-off"),
        capture_output=True,
        text=True,
        timeout=TIMEOUT,
    )
    assert result.returncode == 0, result.stderr
    assert not (config.agent_data_dir(AGENT) / "outbox.db").exists()  # touched nothing else


PRINTER, MAKER = "printer-3d", "05000001"


def _printer_in_use(config: StationConfig, site) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    site.publish_grants(
        site.snapshot(
            {
                Credential.uid(MAKER).keyed_hash(config.badge_key): member_entry(
                    trainings=("printer-3d",)
                )
            }
        )
    )
    process = _start(config, agent=PRINTER)
    site.wait_event("grants_applied", timeout=30)
    send_command(config.sim_socket(PRINTER), f"present {MAKER}")
    site.wait_event("session_started")
    return process


def test_sigterm_ends_the_session_before_the_process_exits(make_config, make_site) -> None:
    config = make_config(agent_overrides(**{PRINTER: {}}))
    site = make_site(config, PRINTER, auto_ack=False)
    process = _printer_in_use(config, site)
    try:
        process.send_signal(signal.SIGTERM)
        assert process.wait(TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()
    events = _committed_events(config, PRINTER)  # in the outbox on disk: nothing acked
    started = next(e for e in events if e.type == "session_started")
    ended = [e for e in events if e.type == "session_ended"]
    assert [(e.data["session_id"], e.data["end_reason"]) for e in ended] == [
        (started.data["session_id"], "agent_stopped")
    ]
    types = [e.type for e in events]
    assert (
        types.index(EventType.SESSION_ENDED)
        < types.index(EventType.AGENT_STOPPED)
        == len(types) - 1
    )

    restarted = _start(config, agent=PRINTER)  # nothing left to end: no second end
    try:
        wait_for(lambda: len(site.of_type("agent_started")) == 2, what="restarted")
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(TIMEOUT) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()
    assert len([e for e in _committed_events(config, PRINTER) if e.type == "session_ended"]) == 1


def test_a_session_cut_by_sigkill_is_ended_at_the_restart(make_config, make_site) -> None:
    config = make_config(agent_overrides(**{PRINTER: {}}))
    site = make_site(config, PRINTER)
    process = _printer_in_use(config, site)
    started = site.of_type("session_started")[0]
    process.send_signal(signal.SIGKILL)
    process.wait(TIMEOUT)
    assert not site.of_type("session_ended")

    restarted = _start(config, agent=PRINTER)
    try:
        ended = site.wait_event("session_ended", timeout=30)[0]
        wait_for(
            lambda: (
                site.statuses
                and site.statuses[-1].get("mode") == "free"
                and site.statuses[-1]["online"]
            ),
            what="status online and free",
        )
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(TIMEOUT) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()
    assert ended.reason == "agent_restarted"
    assert ended.data["session_id"] == started.data["session_id"]
    assert ended.data["end_reason"] == "agent_restarted"
    assert ended.credential_hash == started.credential_hash
    assert ended.member == started.member
    # Ended at the last time the agent was known running, not at the restart.
    ended_at = dt.datetime.fromisoformat(ended.data["ended_at"])
    assert started.at <= ended_at < ended.at
    assert ended.data["duration_s"] == (ended_at - started.at).total_seconds()
    assert len(site.of_type("session_ended")) == 1  # the SIGTERM after: nothing more
    assert not site.statuses[-1]["relay"]
