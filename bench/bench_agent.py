"""Door/machine agent benchmark: badge event -> relay energised, decisions per second,
resident memory, start-up, each beside its floor.

    .venv/bin/python bench/bench_agent.py [--taps 1000] [--grants 10000] [--decisions 2000]
        [--json PATH]

Starts its own mosquitto. Latency is measured in-process with gpiozero's
MockFactory: from the moment the sim reader reports the card (the `at` of
BadgePresented) to the relay pin changing state, i.e. the software's share
(queue, keyed hash, SQLite lookup, decision, GPIO write). Decisions per second:
taps queued back to back with every thread of the process on one CPU. Memory and
start-up time are measured on `station agent --id` as a separate process: start-up
is spawn -> systemd READY=1 (sent once the loop is about to serve).

The floor of each (bench/agent_floor.py), measured in the same run: a bare queue ->
dict lookup -> MockFactory pin write for latency and decisions; for start-up and
memory a process that imports paho and gpiozero, connects and says READY=1."""

from __future__ import annotations

import argparse
import contextlib
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
from collections.abc import Callable, Iterator
from pathlib import Path

from gpiozero.pins.mock import MockFactory

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.agent_floor import floor_decisions_per_second, floor_latencies
from bench.figures import Figure, Unit, add_json_option, print_table, write_json
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
MS = Unit.MILLISECONDS


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


def decisions_per_second(config, decisions: int) -> float:  # type: ignore[no-untyped-def]
    """Taps queued back to back (start, end, start...): decisions per second from the
    first tap to the relay's last change, each decision written to the outbox."""
    factory = MockFactory()
    agent = Agent(config, AGENT, pin_factory=factory)
    relay = factory.pin(17)
    thread = threading.Thread(target=agent.run, daemon=True)
    thread.start()
    try:
        wait_for(lambda: agent.store.version >= 1, 30, interval=POLL_S, what="the grants applied")
        reader = agent.reader
        settle(agent)
        before = len(relay.states)
        started = time.monotonic()
        for _ in range(decisions):
            reader.present("0D000000")  # type: ignore[attr-defined]
            reader.remove()  # type: ignore[attr-defined]
        wait_for(lambda: len(relay.states) >= before + decisions, 120, what="every decision")
        return decisions / (relay._last_change - started)
    finally:
        agent.stop()
        thread.join(10)


@contextlib.contextmanager
def one_core() -> Iterator[None]:
    """Every thread of this process (and those it starts) on one CPU, as on a busy Pi."""
    everywhere = os.sched_getaffinity(0)
    cpu = {min(everywhere)}

    def pin(cpus: set[int]) -> None:
        for task in Path("/proc/self/task").iterdir():
            with contextlib.suppress(ProcessLookupError):
                os.sched_setaffinity(int(task.name), cpus)

    pin(cpu)
    try:
        yield
    finally:
        pin(everywhere)


def ready_and_memory(argv: list[str]) -> tuple[float, float]:
    """(seconds from spawn to systemd READY=1, resident bytes 2 s later) of a process."""
    directory = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.bind(str(directory / "n.sock"))
    notify.settimeout(30)
    env = {**os.environ, "NOTIFY_SOCKET": str(directory / "n.sock")}
    started = time.monotonic()
    process = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
    return startup, rss_kib * 1024.0


def latency_figures(title: str, samples: list[float], floor: list[float]) -> list[Figure]:
    n = len(samples)
    return [
        Figure(f"{title}, median", statistics.median(samples), MS, n, statistics.median(floor)),
        Figure(f"{title}, p99", percentile(samples, 99), MS, n, percentile(floor, 99)),
        Figure(f"{title}, max", max(samples), MS, n, max(floor)),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=1000)
    parser.add_argument(
        "--grants",
        type=int,
        default=10_000,
        help="entries in the grant cache besides the tapped badges",
    )
    parser.add_argument("--decisions", type=int, default=2000, help="taps queued back to back")
    add_json_option(parser)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-agent-"))
    uids = [f"0D{i:06X}" for i in range(50)]
    with Mosquitto(work / "mosquitto") as broker:
        path = write_config(
            work,
            mqtt_host=broker.host,
            mqtt_port=broker.port,
            overrides={"site": {"id": "bench"}, "agents": {AGENT: {"reader": {"debounce_s": 0}}}},
        )
        config = load_config(path)
        publish_grants(config, uids, args.grants)
        idle = latency(config, args.taps, idle=True)
        busy = latency(config, args.taps, idle=False)
        floor = floor_latencies(uids, args.grants, args.taps, poller(POLL_S))
        with one_core():
            rate = decisions_per_second(config, args.decisions)
            floor_rate = floor_decisions_per_second(uids, args.grants, args.decisions)
            durable_rate = floor_decisions_per_second(
                uids, args.grants, args.decisions, work / "floor-journal.db"
            )
        startup, rss = ready_and_memory(station_argv(config.source, "agent", "--id", AGENT))
        floor_argv = [sys.executable, str(Path(__file__).with_name("agent_floor.py"))]
        floor_startup, floor_rss = ready_and_memory([*floor_argv, broker.host, str(broker.port)])

    figures = [
        *latency_figures("badge event -> relay energised, agent idle", idle, floor),
        *latency_figures("same, tap right after a session end", busy, floor),
        Figure(
            "decisions per second, taps queued, one core",
            rate,
            Unit.PER_SECOND,
            args.decisions,
            floor_rate,
            "> 357/s (dm-mac)",
        ),
        Figure(
            "same, beside a floor that also commits each decision (synced)",
            rate,
            Unit.PER_SECOND,
            args.decisions,
            durable_rate,
        ),
        Figure("agent start-up (spawn -> READY=1)", startup * 1000, MS, 1, floor_startup * 1000),
        Figure("agent resident memory (VmRSS)", rss, Unit.BYTES, 1, floor_rss),
    ]
    print_table(
        f"Door agent ({platform.python_version()}, {os.cpu_count()} cores, "
        f"{args.grants:,} grants cached; floor: bench/agent_floor.py)",
        figures,
    )
    if args.json is not None:
        write_json(args.json, "agent", figures, grants=args.grants)


def poller(interval: float) -> Callable[[Callable[[], bool]], None]:
    def wait(predicate: Callable[[], bool]) -> None:
        wait_for(predicate, 10, interval=interval, what="the floor's pin")

    return wait


if __name__ == "__main__":
    main()
