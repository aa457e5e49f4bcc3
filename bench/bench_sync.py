"""Sync benchmarks: first sync, event upload, central change -> agent enforcement.

    .venv/bin/python bench/bench_sync.py                 # full sizes (a few minutes)
    .venv/bin/python bench/bench_sync.py --members 10000 --badges 15000 --events 100000

Starts its own PostgreSQL (central) and mosquitto unless --pg-url / --mqtt-port are
given; the site is an SQLite file, as in production. Prints a table; the figures
go in docs/benchmarks.md ("## Sync").
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from bench.enforce_floor import enforcement_floor
from bench.figures import Figure, Unit, add_json_option, print_table, write_json
from bench.sync_floors import first_sync_floor, upload_floor
from bench.sync_seed import AGENT, SITE, seed_central, seed_events
from station import registry
from station.config import StationConfig, load_config
from station.credential import Credential
from station.db import (
    AccessEvent,
    AgentStatus,
    Badge,
    BadgeStatus,
    make_engine,
    upgrade,
)
from station.seed import seed_site
from sync import central
from sync.compiler import GrantCompiler
from sync.down import sync_down
from sync.service import SyncService
from sync.up import upload_history
from tests.support.cli import station_argv
from tests.support.config import write_config
from tests.support.mqtt import Mosquitto
from tests.support.postgres import (
    PostgresServer,
    create_database,
    drop_database,
    server_binaries,
)
from tests.support.wait import wait_for

POLL_S = 0.002  # the latency figures are read to the poll: a fine one
Rows = list[Figure]


@contextmanager
def database(server: str) -> Iterator[str]:
    url = create_database(server)
    try:
        upgrade(url)
        yield url
    finally:
        drop_database(server, url)


def site_database(directory: Path, name: str) -> str:
    url = f"sqlite:///{directory / name}"
    upgrade(url)
    return url


def bench_first_sync(
    server: str, directory: Path, members: int, badges: int, batches: list[int]
) -> Rows:
    """The product's first sync at each batch size, between two runs of its floor
    (the machine is shared: the floor is their mean, both printed)."""
    with database(server) as url:
        engine = make_engine(url)
        started = time.perf_counter()
        seed_central(engine, members, badges)
        print(f"  central seeded in {time.perf_counter() - started:.1f} s")

        def floor_run(name: str) -> tuple[float, int]:
            floor_site = make_engine(site_database(directory, name))
            try:
                return first_sync_floor(engine, floor_site, SITE)
            finally:
                floor_site.dispose()

        before, floor_rows = floor_run("first-floor-before.db")
        timed: list[tuple[int, float, int]] = []
        for batch in batches:
            site = make_engine(site_database(directory, f"first-{batch}.db"))
            started = time.perf_counter()
            result = sync_down(site, engine, batch_size=batch, site_id=SITE)
            timed.append((batch, time.perf_counter() - started, result.applied))
            with site.connect() as connection:
                assert (
                    connection.execute(select(func.count()).select_from(Badge)).scalar() == badges
                )
            assert result.applied == floor_rows, (result.applied, floor_rows)
            site.dispose()
        after, _ = floor_run("first-floor-after.db")
        floor = (before + after) / 2
        print(f"  floor: {floor_rows:,} rows in {before:.2f} s before, {after:.2f} s after")
        rows: Rows = []
        for batch, elapsed, applied in timed:
            rows += [
                Figure(
                    f"first sync: {members:,} members, {badges:,} badges "
                    f"({applied:,} rows), batch {batch:,}",
                    elapsed,
                    Unit.SECONDS,
                    floor=floor,
                    target="< 10 s, <= 2x",
                ),
                Figure(
                    f"first sync, batch {batch:,}: rows per second",
                    applied / elapsed,
                    Unit.PER_SECOND,
                    n=applied,
                    floor=floor_rows / floor,
                ),
            ]
        site = make_engine(f"sqlite:///{directory / f'first-{batches[-1]}.db'}")
        rows += bench_compile(directory, site, badges)
        site.dispose()
        engine.dispose()
    return rows


def bench_compile(directory: Path, site: Engine, badges: int) -> Rows:
    """Compiling and signing one agent's snapshot from the whole registry."""
    (directory / "compile").mkdir()
    config = load_config(
        write_config(
            directory / "compile",
            overrides={
                "site": {"id": SITE},
                "agents": {"laser-cutter": None, "printer-3d": None},
                "resource_groups": {"machines": None},  # the machines' group goes with them
            },
        )
    )
    with Session(site) as session, session.begin():
        seed_site(session, config)
    compiler = GrantCompiler(config)
    started = time.perf_counter()
    (snapshot,) = compiler.refresh(site)
    elapsed = time.perf_counter() - started
    size = len(snapshot.whole)
    print(
        f"  snapshot of {badges:,} badges: {size / 1e6:.1f} MB "
        f"({size / badges:.0f} bytes per badge)"
    )
    with Session(site) as session, session.begin():  # one revocation: its delta
        registry.revoke_badge(session, session.scalars(select(Badge).limit(1)).one())
    (changed,) = compiler.refresh(site)
    delta = len(changed.delta or b"")
    print(f"  one revocation: a delta of {delta:,} bytes beside the snapshot")
    return [
        Figure(f"grants compiled + signed, {badges:,} badges", elapsed, Unit.SECONDS),
        Figure(f"grants snapshot, {badges:,} badges", size, Unit.BYTES),
        Figure(f"grants delta of one revocation, {badges:,} badges", delta, Unit.BYTES),
    ]


def bench_upload(server: str, directory: Path, events: int, batch: int) -> Rows:
    """The product's upload between two runs of its floor, each into a fresh central."""
    with database(server) as url:
        site = make_engine(site_database(directory, "events.db"))
        started = time.perf_counter()
        seed_events(site, events)
        print(f"  site events written in {time.perf_counter() - started:.1f} s")

        def floor_run() -> float:
            with database(server) as floor_url:
                floor_engine = make_engine(floor_url)
                try:
                    elapsed, copied = upload_floor(site, floor_engine)
                finally:
                    floor_engine.dispose()
            assert copied == events, (copied, events)
            return elapsed

        before = floor_run()
        engine = make_engine(url)
        started = time.perf_counter()
        sent = upload_history(site, engine, batch_size=batch)
        elapsed = time.perf_counter() - started
        with engine.connect() as connection:
            assert (
                connection.execute(select(func.count()).select_from(AccessEvent)).scalar()
                == events
                == sent
            )
        engine.dispose()
        after = floor_run()
        site.dispose()
    floor = (before + after) / 2
    print(f"  floor: {events:,} events in {before:.2f} s before, {after:.2f} s after")
    return [
        Figure(
            f"upload of {events:,} events (batch {batch:,})", elapsed, Unit.SECONDS, floor=floor
        ),
        Figure(
            "upload: events per second",
            events / elapsed,
            Unit.PER_SECOND,
            n=events,
            floor=events / floor,
            target="> 20,000/s, <= 2x",
        ),
    ]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def bench_enforcement(
    server: str, directory: Path, mqtt_port: int, members: int, changes: int
) -> Rows:
    """Central revokes/restores a badge; time until the running agent has applied it."""
    (directory / "enforce").mkdir()
    config_path = write_config(
        directory / "enforce",
        mqtt_port=mqtt_port,
        overrides={
            "site": {"id": SITE},
            "central": {"poll_interval_s": 60},
            "agents": {AGENT: {"schedule": "always", "pins": {"contact": 0}}},
        },
    )
    config = load_config(config_path)
    latencies: list[float] = []
    sync_share: list[float] = []
    delta_bytes: list[int] = []
    with database(server) as url, ExitStack() as stack:
        central_engine = make_engine(url)
        stack.callback(central_engine.dispose)
        seed_central(central_engine, members, members)
        uid = "04BE0001"
        target = Credential.uid(uid).keyed_hash(config.badge_key)
        with central.session(central_engine) as db:
            seed_site(db, config)
            member = registry.add_member(db, "Bench", membership_until=dt.date(2099, 1, 1))
            registry.enroll_badge(db, member, Credential.uid(uid), config.badge_key)
        site_url = config.resolve_url(config.database.url)
        upgrade(site_url)
        site = make_engine(site_url)
        stack.callback(site.dispose)
        with Session(site) as session, session.begin():
            seed_site(session, config)
        service = SyncService(config, site_engine=site, central_engine=central_engine)
        stack.enter_context(service)
        stop = threading.Event()
        thread = threading.Thread(target=service.run, args=(stop,), daemon=True)
        thread.start()
        stack.callback(thread.join, 10)
        stack.callback(stop.set)
        agent = start_agent(config)
        stack.callback(stop_agent, agent)
        seen: dict[int, bool | None] = {}

        def published(revoked: bool) -> int:
            snapshot = service.compiler.current.get(AGENT)
            if snapshot is None or not service.is_published(AGENT):
                return 0
            if snapshot.version not in seen:  # a delta's version has no snapshot yet
                entry = snapshot.entries.get(target)
                seen[snapshot.version] = None if entry is None else entry["revoked"]
                if snapshot.delta is not None:
                    delta_bytes.append(len(snapshot.delta))
            return snapshot.version if seen[snapshot.version] is revoked else 0

        def applied() -> int:
            with Session(site) as session:
                row = session.get(AgentStatus, AGENT)
                return row.grants_version if row is not None else 0

        def applied_at_least(version: int) -> bool:
            return applied() >= version

        version = wait_for(lambda: published(False), 120, interval=POLL_S)
        wait_for(lambda: applied() >= version, 120, interval=POLL_S)
        for change in range(changes):
            revoke = change % 2 == 0
            started = time.perf_counter()
            with central.session(central_engine) as db:
                badge = db.scalar(select(Badge).where(Badge.hash == target))
                assert badge is not None
                badge.status = BadgeStatus.REVOKED if revoke else BadgeStatus.ACTIVE
            version = wait_for(functools.partial(published, revoke), 60, interval=POLL_S)
            sync_share.append(time.perf_counter() - started)
            wait_for(functools.partial(applied_at_least, version), 60, interval=POLL_S)
            latencies.append(time.perf_counter() - started)
        service.publish_grants(settle=True)  # the whole snapshot, as an agent starting gets it
        snapshot_bytes = len(service.compiler.current[AGENT].whole)
        cache = config.agent_data_dir(AGENT) / "grants.db"
        cache_bytes = sum(  # WAL mode: the newest pages are in the -wal file
            path.stat().st_size
            for path in (cache, cache.with_name("grants.db-wal"))
            if path.exists()
        )
        floor = enforcement_floor(url, directory / "enforce", mqtt_port, changes)
    rows: Rows = []
    for what, values, floors, target in (
        ("snapshot published (sync's share)", sync_share, None, ""),
        ("agent applied", latencies, floor, "< 1 s"),
    ):
        label = f"central change -> {what}, {members + 1:,} badges"
        rows += [
            Figure(
                f"{label}: median",
                statistics.median(values),
                Unit.SECONDS,
                len(values),
                None if floors is None else statistics.median(floors),
                target,
            ),
            Figure(
                f"{label}: p99",
                percentile(values, 99),
                Unit.SECONDS,
                len(values),
                None if floors is None else percentile(floors, 99),
                target,
            ),
        ]
    badges = f"{members + 1:,} badges"
    return [
        *rows,
        Figure(
            f"bytes sent to the agent per change (delta), {badges}: median",
            statistics.median(delta_bytes) if delta_bytes else 0,
            Unit.BYTES,
            len(delta_bytes),
        ),
        Figure(f"the agent's whole snapshot (retained), {badges}", snapshot_bytes, Unit.BYTES),
        Figure(f"the agent's cache (grants.db), {badges}", cache_bytes, Unit.BYTES),
    ]


def start_agent(config: StationConfig) -> subprocess.Popen[bytes]:
    log = (config.source.parent / "agent.log").open("ab")
    return subprocess.Popen(
        station_argv(config.source, "agent", "--id", AGENT),
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ),
    )


def stop_agent(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=100_000)
    parser.add_argument("--badges", type=int, default=150_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=5000, help="[central].batch_size")
    parser.add_argument("--changes", type=int, default=40, help="central changes timed")
    parser.add_argument(
        "--enforce-members",
        type=int,
        default=150_000,
        help="registry size for the enforcement measure",
    )
    parser.add_argument("--pg-url", help="admin URL of a PostgreSQL server to use")
    parser.add_argument("--mqtt-port", type=int, help="port of a mosquitto to use")
    parser.add_argument("--only", choices=("first", "upload", "enforce"), action="append")
    add_json_option(parser)
    args = parser.parse_args()
    only = set(args.only or ("first", "upload", "enforce"))
    rows: Rows = []
    with ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-")))
        server = args.pg_url
        if server is None:
            binaries = server_binaries()
            if binaries is None:
                raise SystemExit("PostgreSQL is not installed")
            pg = PostgresServer(binaries)
            pg.start()
            stack.callback(pg.close)
            server = pg.url
        if "first" in only:
            print("first sync...")
            rows += bench_first_sync(
                server, directory, args.members, args.badges, sorted({args.batch, 20_000})
            )
        if "upload" in only:
            print("upload...")
            rows += bench_upload(server, directory, args.events, args.batch)
        if "enforce" in only:
            port = args.mqtt_port
            if port is None:
                broker = stack.enter_context(Mosquitto(directory / "mosquitto"))
                port = broker.port
            print("enforcement...")
            rows += bench_enforcement(server, directory, port, args.enforce_members, args.changes)
    print_table("station sync (floors: bench/sync_floors.py)", rows)
    if args.json is not None:
        write_json(args.json, "sync", rows, sizes=vars(args) | {"json": str(args.json)})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
