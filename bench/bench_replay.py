"""Replay benchmark: agents' outboxes full after a sync outage, drained into the site database.

    .venv/bin/python bench/bench_replay.py [--events 100000] [--agents 1 3] [--json PATH]

N events (split evenly between the agents) wait in the agents' durable outboxes; the
agents (`station agent` processes) are connected and sync's broker session exists,
as after sync was down for a while. The clock starts when the sync service starts and
stops when the site database holds all N; "acknowledged" is when every outbox is empty.

The floor, in the same run: the same payloads (read from the same outbox files), one
paho publisher process per agent at QoS 1 with the agent's in-flight limit, to one paho
subscriber that inserts them into an SQLite file of the site's schema in batches
(`executemany`, one commit per batch, the site's pragmas).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import queue
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import paho.mqtt.client as paho
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from bench.figures import Figure, Unit, add_json_option, print_table, write_json
from door_agent.mqtt import MAX_INFLIGHT
from station.config import StationConfig, load_config
from station.db import AccessEvent, make_engine, upgrade
from station.protocol import topics
from station.seed import seed_site
from sync.bus import SyncBus
from sync.service import SyncService
from tests.support.backlog import MARK, fill_outbox, outbox_depth
from tests.support.cli import station_argv
from tests.support.config import write_config
from tests.support.mqtt import Mosquitto
from tests.support.wait import wait_for

SITE = "bench-replay"
AGENTS = ("front-door", "laser-cutter", "printer-3d")
POLL_S = 0.05
TIMEOUT_S = 900.0
FLOOR_BATCH = 5000


def site_config(directory: Path, port: int, agents: tuple[str, ...]) -> StationConfig:
    """A site of its own per run: sync's persistent session at the broker is the run's."""
    directory.mkdir(parents=True)
    path = write_config(
        directory,
        mqtt_port=port,
        overrides={
            "site": {"id": f"{SITE}-{directory.name}"},
            # One round when sync starts, none during the replay.
            "central": {"poll_interval_s": 3600},
            "agents": {a: {"pins": {"contact": 0}} for a in agents if a == "front-door"},
        },
    )
    config = load_config(path)
    for url in (config.database.url, config.central.url):
        resolved = config.resolve_url(url)
        upgrade(resolved)
        engine = make_engine(resolved)
        with Session(engine) as session, session.begin():
            seed_site(session, config)
        engine.dispose()
    return config


def split(events: int, agents: int) -> list[int]:
    return [events // agents + (i < events % agents) for i in range(agents)]


# -- the product -------------------------------------------------------------------------


def register_sync_session(config: StationConfig) -> None:
    """Sync's persistent session at the broker, as it was before the outage: what the
    agents publish meanwhile is queued for it."""
    bus = SyncBus(config.mqtt, config.site.id, queue.Queue())
    with bus:
        wait_for(lambda: bus.subscribed, 30, what="sync's subscription")


def wait_online(config: StationConfig, agents: tuple[str, ...]) -> None:
    online: set[str] = set()
    client = paho.Client(paho.CallbackAPIVersion.VERSION2)

    def on_message(_c: object, _u: object, message: paho.MQTTMessage) -> None:
        parsed = topics.parse_agent_topic(message.topic)
        if parsed and message.payload and json.loads(message.payload).get("online"):
            online.add(parsed[1])

    client.on_message = on_message
    client.connect(config.mqtt.host, config.mqtt.port)
    client.subscribe(topics.all_agents(config.site.id, topics.STATUS), 1)
    client.loop_start()
    try:
        wait_for(lambda: online >= set(agents), 120, what="the agents online")
    finally:
        client.disconnect()
        client.loop_stop()


@contextmanager
def running_agents(config: StationConfig, agents: tuple[str, ...]) -> Iterator[None]:
    log = (config.source.parent / "agents.log").open("ab")
    processes = [
        subprocess.Popen(
            station_argv(config.source, "agent", "--id", agent),
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(os.environ),
        )
        for agent in agents
    ]
    try:
        yield
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


def bench_product(
    directory: Path, port: int, agents: tuple[str, ...], events: int
) -> tuple[float, float]:
    """Seconds until the site database holds every event, and until every outbox is empty."""
    config = site_config(directory, port, agents)
    register_sync_session(config)
    outboxes = [config.agent_data_dir(a) / "outbox.db" for a in agents]
    for agent, path, count in zip(agents, outboxes, split(events, len(agents)), strict=True):
        fill_outbox(path, agent, count)
    site = make_engine(config.resolve_url(config.database.url))
    central = make_engine(config.resolve_url(config.central.url))

    def stored() -> int:
        with site.connect() as connection:
            query = select(func.count()).select_from(AccessEvent)
            return int(
                connection.execute(query.where(AccessEvent.credential_hash == MARK)).scalar_one()
            )

    def all_stored() -> bool:
        # The cheap question first (the last rowid: a lookup, not a scan taking the CPU
        # sync needs), the exact count once there are enough rows.
        with site.connect() as connection:
            rows = connection.execute(text("SELECT max(rowid) FROM access_events")).scalar()
        return (rows or 0) >= events and stored() >= events

    with ExitStack() as stack:
        stack.callback(site.dispose)
        stack.callback(central.dispose)
        stack.enter_context(running_agents(config, agents))
        wait_online(config, agents)
        service = SyncService(config, site_engine=site, central_engine=central, listen=False)
        stop = threading.Event()
        thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
        started = time.perf_counter()
        stack.enter_context(service)
        thread.start()
        stack.callback(thread.join, 30)
        stack.callback(service.wake)
        stack.callback(stop.set)
        wait_for(all_stored, TIMEOUT_S, interval=POLL_S, what="every event stored")
        in_site = time.perf_counter() - started
        wait_for(
            lambda: all(outbox_depth(p) == 0 for p in outboxes),
            TIMEOUT_S,
            interval=POLL_S,
            what="every outbox empty",
        )
        acked = time.perf_counter() - started
        if stored() != events:
            raise SystemExit(f"the site holds {stored()} of the bench's events, not {events}")
    return in_site, acked


# -- the floor ---------------------------------------------------------------------------

PUBLISHER = """
import sqlite3, sys
import paho.mqtt.client as paho
port, topic, path, inflight = int(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
payloads = [bytes(p) for (p,) in sqlite3.connect(path).execute(
    "SELECT payload FROM outbox ORDER BY seq")]
client = paho.Client(paho.CallbackAPIVersion.VERSION2, client_id=topic)
client.max_inflight_messages_set(inflight)
client.max_queued_messages_set(0)
client.connect("127.0.0.1", port)
client.loop_start()
print("ready", flush=True)
sys.stdin.readline()
infos = []
for payload in payloads:  # paho's message ids are 16 bits: at most 65,535 pending
    if len(infos) >= 20000:
        infos[-20000].wait_for_publish()
    infos.append(client.publish(topic, payload, qos=1))
for info in infos:
    info.wait_for_publish()
client.disconnect()
client.loop_stop()
"""


class FloorSubscriber:
    """paho on_message -> a queue -> batches executemany'd into SQLite, one commit each."""

    def __init__(self, path: Path, port: int, pattern: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")  # the site's (station.db.engine)
        self.inbox: queue.Queue[bytes] = queue.Queue()
        self.stored = 0
        self.client = paho.Client(paho.CallbackAPIVersion.VERSION2)
        self.client.on_message = lambda _c, _u, m: self.inbox.put(bytes(m.payload))
        self.client.connect("127.0.0.1", port)
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_a: subscribed.set()
        self.client.subscribe(pattern, 1)
        self.client.loop_start()
        subscribed.wait(30)

    def run_until(self, count: int) -> None:
        while self.stored < count:
            batch = [self.inbox.get(timeout=TIMEOUT_S)]
            while len(batch) < FLOOR_BATCH:
                try:
                    batch.append(self.inbox.get_nowait())
                except queue.Empty:
                    break
            rows = []
            for payload in batch:
                e = json.loads(payload)
                at = dt.datetime.fromisoformat(e["at"]).astimezone(dt.UTC).replace(tzinfo=None)
                rows.append(
                    (
                        uuid.UUID(e["id"]).hex,
                        e["agent"],
                        e["resource"],
                        e["type"],
                        e["reason"],
                        e["credential_hash"],
                        at.isoformat(" "),
                        json.dumps(e["data"]),
                        SITE,
                    )
                )
            self.conn.execute("BEGIN")
            self.conn.executemany(
                "INSERT OR IGNORE INTO access_events (id, agent_id, resource, type, reason,"
                " credential_hash, at, data, site_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            self.conn.execute("COMMIT")
            self.stored += len(batch)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
        self.conn.close()


def bench_floor(directory: Path, port: int, agents: tuple[str, ...], events: int) -> float:
    directory.mkdir(parents=True)
    database = directory / "floor.db"
    upgrade(f"sqlite:///{database}")
    paths = []
    for agent, count in zip(agents, split(events, len(agents)), strict=True):
        paths.append(directory / f"{agent}.db")
        fill_outbox(paths[-1], agent, count)
    site = f"{SITE}-{directory.name}"
    subscriber = FloorSubscriber(database, port, topics.all_agents(site, topics.EVENTS))
    publishers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                PUBLISHER,
                str(port),
                topics.agent(site, agent, topics.EVENTS),
                str(path),
                str(MAX_INFLIGHT),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
        )
        for agent, path in zip(agents, paths, strict=True)
    ]
    try:
        for publisher in publishers:
            assert publisher.stdout is not None
            if publisher.stdout.readline().strip() != b"ready":
                raise SystemExit("a floor publisher did not start")
        started = time.perf_counter()
        for publisher in publishers:
            assert publisher.stdin is not None
            publisher.stdin.write(b"go\n")
            publisher.stdin.flush()
        subscriber.run_until(events)
        elapsed = time.perf_counter() - started
    finally:
        for publisher in publishers:
            publisher.wait(60)
        subscriber.close()
    return elapsed


# -- main --------------------------------------------------------------------------------


def figures(events: int, agents: int, in_site: float, acked: float, floor: float) -> list[Figure]:
    label = f"replay of {events:,} waiting events, {agents} agent(s)"
    return [
        Figure(f"{label}: in the site database", in_site, Unit.SECONDS, events, floor, "< 10 s"),
        Figure(f"{label}: every outbox empty (acknowledged)", acked, Unit.SECONDS, events),
        Figure(
            f"{label}: events per second", events / in_site, Unit.PER_SECOND, events, events / floor
        ),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000, help="waiting events in all")
    parser.add_argument("--agents", type=int, nargs="+", default=[1, 3], choices=(1, 2, 3))
    add_json_option(parser)
    args = parser.parse_args()
    rows: list[Figure] = []
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        broker = stack.enter_context(Mosquitto(directory / "mosquitto"))
        for count in args.agents:
            agents = AGENTS[:count]
            print(f"replay of {args.events:,} events from {count} agent(s)...")
            floor = bench_floor(directory / f"floor-{count}", broker.port, agents, args.events)
            in_site, acked = bench_product(
                directory / f"site-{count}", broker.port, agents, args.events
            )
            rows += figures(args.events, count, in_site, acked, floor)
            shutil.rmtree(directory / f"floor-{count}", ignore_errors=True)
    print_table("replay of agents' outboxes into the site database", rows)
    if args.json is not None:
        write_json(args.json, "replay", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
