"""`station agent --id` as a real process: SIGKILL mid-way loses no committed event,
SIGTERM stops cleanly with the relay off, systemd is notified (READY, WATCHDOG, STOPPING)."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

from hardware.exc import ReaderUnavailable
from hardware.readers.sim import send_command
from station.config import StationConfig
from station.credential import Credential
from tests.door_agent.conftest import TIMEOUT, agent_overrides, member_entry, wait_for

AGENT = "front-door"


def _start(config: StationConfig, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    log = (config.source.parent / "agent.log").open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "station.cli.main", "--config", str(config.source), "-v",
         "agent", "--id", AGENT], stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, **(env or {})})


def _committed(config: StationConfig) -> list[str]:
    path = config.agent_data_dir(AGENT) / "outbox.db"
    with sqlite3.connect(path) as conn:  # opening recovers the WAL, as a restart would
        ids = [row[0] for row in conn.execute("SELECT id FROM outbox ORDER BY seq")]
    conn.close()
    return ids


def test_sigkill_midway_loses_no_committed_event(make_config, make_site) -> None:
    config = make_config(agent_overrides(**{AGENT: {"pins": {"contact": 0}}}))
    site = make_site(config, AGENT, auto_ack=False)
    uids = [f"0B{i:06X}" for i in range(400)]
    hashes = [Credential.uid(u).keyed_hash(config.site_key) for u in uids]
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
        wait_for(lambda: set(committed) <= {str(e.id) for e in site.events}, timeout=60,
                 what="every committed event delivered after the restart")
        site.ack_all()
        decided = site.of_type("granted", "denied")
        assert [e.credential_hash for e in decided] == hashes[:len(decided)]  # in tap order
        assert len({e.id for e in site.events}) == len(site.events)
        wait_for(lambda: len(_committed(config)) <= 1, timeout=60,
                 what="the backlog acknowledged and deleted")
        restarted.send_signal(signal.SIGTERM)
        assert restarted.wait(TIMEOUT) == 0
    finally:
        if restarted.poll() is None:
            restarted.kill()
    stopped = site.wait_event("agent_stopped")[0]
    assert stopped.data["relay"] is False and stopped.data["why"] == "signal SIGTERM"
    wait_for(lambda: site.statuses and site.statuses[-1]["online"] is False,
             what="retained status offline")
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
    site.publish_grants(site.snapshot({Credential.uid("04000001").keyed_hash(config.site_key):
                                       member_entry()}))
    process = _start(config)
    try:
        site.wait_event("grants_applied", timeout=30)
        tap = subprocess.run([sys.executable, "-m", "station.cli.main", "--config",
                              str(config.source), "reader", "tap", "--reader", AGENT,
                              "04000001"], capture_output=True, text=True, timeout=TIMEOUT)
        assert tap.returncode == 0, tap.stderr
        granted = site.wait_event("granted")[0]
        assert granted.credential_hash == Credential.uid("04000001").keyed_hash(
            config.site_key)
        process.send_signal(signal.SIGTERM)
        assert process.wait(TIMEOUT) == 0
    finally:
        if process.poll() is None:
            process.kill()


def test_unknown_agent_id_is_a_clear_error(make_config) -> None:
    config = make_config()
    result = subprocess.run([sys.executable, "-m", "station.cli.main", "--config",
                             str(config.source), "agent", "--id", "no-such-agent"],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 2
    assert "agents.no-such-agent: no such agent" in result.stderr
    assert "front-door" in result.stderr


def test_relay_off_only_for_execstoppost(make_config) -> None:
    config = make_config()
    result = subprocess.run([sys.executable, "-m", "station.cli.main", "--config",
                             str(config.source), "agent", "--id", AGENT, "--relay-off"],
                            capture_output=True, text=True, timeout=TIMEOUT)
    assert result.returncode == 0, result.stderr
    assert not (config.agent_data_dir(AGENT) / "outbox.db").exists()  # touched nothing else
