"""Door/machine agent benchmark: badge event -> relay energised, resident memory, start-up.

    .venv/bin/python bench/bench_agent.py [--taps 1000] [--grants 10000]

Starts its own mosquitto. Latency is measured in-process with gpiozero's
MockFactory: from the moment the sim reader reports the card (the `at` of
BadgePresented) to the relay pin changing state, i.e. the software's share
(queue, keyed hash, SQLite lookup, decision, GPIO write). Memory and start-up
time are measured on `station agent --id` as a separate process: start-up is
spawn -> systemd READY=1 (sent once the loop is about to serve).
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from gpiozero.pins.mock import MockFactory
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from door_agent.agent import Agent
from door_agent.inbox import Call
from station.config import load_config
from station.credential import Credential
from station.protocol import topics
from station.protocol.grants import entry_to_json, make_snapshot
from station.rules import CredentialFacts, MembershipSpan, ResourceFacts
from station.schedule import Schedule
from tests.support.cli import station_argv
from tests.support.config import write_config
from tests.support.keys import site_signer, site_trust
from tests.support.mqtt import Mosquitto
from tests.support.wait import wait_for

POLL_S = 0.0005  # sequencing only: latency is the relay pin's own change time
AGENT = "printer-3d"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def publish_grants(config, uids: list[str], grants: int) -> None:  # type: ignore[no-untyped-def]
    import datetime as dt

    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    far = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    entry = entry_to_json(
        CredentialFacts(
            False, False, (MembershipSpan(dt.date(2000, 1, 1), None),), {"printer-3d": far}
        ),
        "m",
    )
    entries = {
        Credential.uid(f"0C{i:06X}").keyed_hash(config.badge_key): entry for i in range(grants)
    }
    entries.update({Credential.uid(u).keyed_hash(config.badge_key): entry for u in uids})
    payload = make_snapshot(
        config.site.id,
        AGENT,
        1,
        ResourceFacts("printer-3d", ("printer-3d",), Schedule.open_always()),
        entries,
        site_trust(config),
        site_signer(config),
    )
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-site")
    client.connect(config.mqtt.host, config.mqtt.port)
    client.loop_start()
    client.publish(
        topics.agent(config.site.id, AGENT, topics.GRANTS), payload, qos=1, retain=True
    ).wait_for_publish(10)
    client.loop_stop()
    client.disconnect()


def settle(agent: Agent) -> None:
    """Wait until the loop has handled everything posted (events written, published)."""
    done = threading.Event()
    agent.events.put(Call(done.set))
    done.wait(10)


def latency(config, taps: int, *, idle: bool) -> list[float]:  # type: ignore[no-untyped-def]
    """Tap after tap; ``idle``: each tap once the loop is idle (as a person's tap comes),
    else right after the previous session ended (queued behind its event writes)."""
    factory = MockFactory()
    agent = Agent(config, AGENT, pin_factory=factory)
    relay = factory.pin(17)
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    wait_for(lambda: agent.store.version >= 1, 30, interval=POLL_S, what="the grants applied")
    reader = agent.reader
    samples: list[float] = []
    try:
        for i in range(taps + 20):  # the first 20 warm up
            uid = f"0D{i % 50:06X}"
            if idle:
                settle(agent)
            at = time.monotonic()
            reader.present(uid, at=at)  # type: ignore[attr-defined]
            wait_for(lambda: relay.state, 10, interval=POLL_S, what="the relay energised")
            if i >= 20:
                samples.append((relay._last_change - at) * 1000)
            reader.remove()  # type: ignore[attr-defined]
            reader.present(uid)  # type: ignore[attr-defined]  # second tap ends the session
            wait_for(lambda: not relay.state, 10, interval=POLL_S, what="the relay released")
            reader.remove()  # type: ignore[attr-defined]
    finally:
        agent.stop()
        thread.join(10)
    return samples


def process_figures(config) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """(start-up seconds to READY, resident memory MiB) of `station agent` as a process."""
    directory = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(directory / "n.sock"))
    notify.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(directory / "n.sock")}
    started = time.monotonic()
    process = subprocess.Popen(
        station_argv(config.source, "agent", "--id", AGENT),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while not notify.recv(4096).startswith(b"READY=1"):
            pass
        startup = time.monotonic() - started
        time.sleep(2.0)  # connected, grants applied
        rss_kib = next(
            int(line.split()[1])
            for line in Path(f"/proc/{process.pid}/status").read_text().splitlines()
            if line.startswith("VmRSS:")
        )
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(10)
        notify.close()
    return startup, rss_kib / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=1000)
    parser.add_argument(
        "--grants",
        type=int,
        default=10_000,
        help="entries in the grant cache besides the tapped badges",
    )
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-agent-"))
    with Mosquitto(work / "mosquitto") as broker:
        path = write_config(
            work,
            mqtt_host=broker.host,
            mqtt_port=broker.port,
            overrides={"site": {"id": "bench"}, "agents": {AGENT: {"reader": {"debounce_s": 0}}}},
        )
        config = load_config(path)
        uids = [f"0D{i:06X}" for i in range(50)]
        publish_grants(config, uids, args.grants)
        idle = latency(config, args.taps, idle=True)
        busy = latency(config, args.taps, idle=False)
        startup, rss = process_figures(config)

    table = Table(
        title=f"Door agent ({platform.python_version()}, {os.cpu_count()} cores, "
        f"{args.grants:,} grants cached)"
    )
    table.add_column("measure")
    table.add_column("value", justify="right")
    for title, samples in (
        ("badge event -> relay energised, agent idle", idle),
        ("same, tap right after a session end", busy),
    ):
        table.add_row(f"{title} ({len(samples):,} taps)", "")
        table.add_row("  median", f"{statistics.median(samples):.3f} ms")
        table.add_row("  p99", f"{percentile(samples, 99):.3f} ms")
        table.add_row("  max", f"{max(samples):.3f} ms")
    table.add_row("agent start-up (spawn -> READY=1)", f"{startup * 1000:.0f} ms")
    table.add_row("agent resident memory (VmRSS)", f"{rss:.1f} MiB")
    Console().print(table)


if __name__ == "__main__":
    main()
