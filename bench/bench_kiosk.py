"""Kiosk benchmark: badge tap -> welcome screen painted; start-up time and memory.

    .venv/bin/python bench/bench_kiosk.py [--members 5000] [--visits 100000] [--taps 300]
        [--startups 5] [--json PATH]

Offscreen Qt, a site database of `--members` members with badges and `--visits`
past visits. Each tap is presented from another thread, as the reader's thread
does, and timed from the reader's timestamp (`BadgePresented.at`) to the paint
event of the welcome screen's greeting. Start-up is timed in fresh processes,
from launch to the idle screen's first paint, with their peak resident memory
(VmHWM). Each beside its floor, measured in the same run the same way: a bare
PySide6 label (bench/kiosk_floor.py) tapped through a queued signal, and started
as a fresh process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bench.figures import Figure, Unit, add_json_option, print_table, write_json
from bench.kiosk_floor import PaintTimer, floor_taps, peak_resident_mb
from hardware.readers.sim import SimReader
from station.config import StationConfig, load_config
from station.config.connections import DatabaseConfig
from station.config.reader import ReaderConfig
from station.credential import Credential
from station.db import Badge, Member, Membership, Visit, make_engine, upgrade
from station.ids import new_event_id, new_id
from station.seed import seed_site

ROOT = Path(__file__).resolve().parents[1]
MS = Unit.MILLISECONDS


def uid(index: int) -> str:
    return f"04{index:08X}"


def build_database(config: StationConfig, url: str, members: int, visits: int) -> None:
    upgrade(url)
    engine = make_engine(url)
    today = dt.date.today()
    now = dt.datetime.now(dt.UTC)
    rng = random.Random(1)
    with Session(engine) as session:
        seed_site(session, config)
        ids = [new_id() for _ in range(members)]
        session.execute(
            insert(Member),
            [
                {
                    "id": i,
                    "first_name": f"Prénom{n}",
                    "last_name": f"Nom{n}",
                    "kind": "member",
                    "home_commune": "62765",
                }
                for n, i in enumerate(ids)
            ],
        )
        session.execute(
            insert(Membership),
            [
                {
                    "id": new_id(),
                    "member_id": i,
                    "valid_from": today - dt.timedelta(days=30),
                    "valid_until": today + dt.timedelta(days=300),
                }
                for i in ids
            ],
        )
        session.execute(
            insert(Badge),
            [
                {
                    "id": new_id(),
                    "member_id": i,
                    "hash": Credential.uid(uid(n)).keyed_hash(config.badge_key),
                }
                for n, i in enumerate(ids)
            ],
        )
        purposes = [p.id for p in config.purposes]
        rows = []
        for _ in range(visits):
            start = now - dt.timedelta(days=rng.randint(1, 365), minutes=rng.randint(0, 600))
            purpose = rng.choice(purposes)
            rows.append(
                {
                    "id": new_event_id(),
                    "member_id": rng.choice(ids),
                    "kiosk_id": "entrance",
                    "purpose": purpose,
                    "space": purpose,
                    "site_id": config.site.id,
                    "checked_in_at": start,
                    "checked_out_at": start + dt.timedelta(hours=2),
                    "checkout_reason": "self",
                }
            )
        for chunk in range(0, len(rows), 20_000):
            session.execute(insert(Visit), rows[chunk : chunk + 20_000])
        session.commit()
    engine.dispose()


def bench_config(db_url: str) -> StationConfig:
    config = load_config(ROOT / "config.toml")
    entrance = config.kiosks["entrance"].model_copy(
        update={"reader": ReaderConfig(path="sim:bench-kiosk", debounce_s=0)}
    )
    return config.model_copy(
        update={"database": DatabaseConfig(url=db_url), "kiosks": {"entrance": entrance}}
    )


def present(reader: SimReader, badge: str, at: float) -> None:
    reader.present(badge, at=at)


def measure_taps(config: StationConfig, taps: int, members: int) -> list[float]:
    from kiosk.app import Kiosk

    kiosk = Kiosk(
        config,
        "entrance",
        bus=False,
        reader_factory=lambda sink: SimReader("bench", config.kiosks["entrance"].reader, sink),
    )
    kiosk.start()
    reader = kiosk.bridge.reader
    assert isinstance(reader, SimReader)
    timer = PaintTimer(kiosk.window.welcome.hello)
    latencies: list[float] = []
    order = random.Random(2).sample(range(members), taps)
    try:
        for index in order:
            elapsed = timer.time(functools.partial(present, reader, uid(index)))
            if elapsed is None or kiosk.controller.screen != "welcome":
                raise RuntimeError(
                    f"no welcome painted for badge {index}: screen "
                    f"{kiosk.controller.screen}, tap {len(latencies)}"
                )
            latencies.append(elapsed)
            reader.remove()
            kiosk.controller.go_idle()
            kiosk.app.processEvents()
    finally:
        kiosk.close()
    return latencies


def startup_child(db_url: str) -> None:
    """Run in a fresh process: start the kiosk, report when the idle screen is painted."""
    from PySide6.QtCore import QEvent, QObject

    from hardware.readers.sim import SimReader
    from kiosk.app import Kiosk

    config = bench_config(db_url)
    kiosk = Kiosk(
        config,
        "entrance",
        bus=False,
        reader_factory=lambda sink: SimReader("bench", config.kiosks["entrance"].reader, sink),
    )

    class FirstPaint(QObject):
        def eventFilter(self, _watched: QObject, event: QEvent) -> bool:
            if event.type() == QEvent.Type.Paint:
                rss_mb = peak_resident_mb()
                print(f"painted {rss_mb:.1f}", flush=True)
                kiosk.app.quit()
            return False

    watch = FirstPaint()
    kiosk.window.idle.prompt.installEventFilter(watch)
    kiosk.start()
    kiosk.app.exec()
    kiosk.close()


def measure_startup(child_argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    """(milliseconds to first paint, peak resident MB) of ``runs`` fresh processes."""
    times, memory = [], []
    for _ in range(runs):
        started = time.monotonic()
        child = subprocess.run(
            [sys.executable, *child_argv],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        elapsed = (time.monotonic() - started) * 1000
        line = next(x for x in child.stdout.splitlines() if x.startswith("painted"))
        times.append(elapsed)
        memory.append(float(line.split()[1]))
    return times, memory


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=5000)
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--taps", type=int, default=300)
    parser.add_argument("--startups", type=int, default=5)
    parser.add_argument("--startup-child", metavar="URL", help=argparse.SUPPRESS)
    add_json_option(parser)
    args = parser.parse_args()
    if args.startup_child:
        startup_child(args.startup_child)
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-kiosk-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'site.db'}"
        config = bench_config(url)
        began = time.monotonic()
        build_database(config, url, args.members, args.visits)
        print(
            f"database: {args.members} members, {args.visits} visits "
            f"({time.monotonic() - began:.1f} s to build)"
        )
        taps = min(args.taps, args.members)
        kiosk_taps = measure_taps(config, taps, args.members)
        bare = floor_taps([uid(n) for n in range(taps)])
        startup, memory = measure_startup([__file__, "--startup-child", url], args.startups)
        bare_startup, bare_memory = measure_startup(
            [str(ROOT / "bench" / "kiosk_floor.py")], args.startups
        )
    median = statistics.median
    figures = [
        Figure("badge tap -> welcome painted, median", median(kiosk_taps), MS, taps, median(bare)),
        Figure("badge tap -> welcome painted, p99", p99(kiosk_taps), MS, taps, p99(bare)),
        Figure(
            "start-up -> idle screen painted, median",
            median(startup),
            MS,
            args.startups,
            median(bare_startup),
        ),
        Figure("start-up, slowest", max(startup), MS, args.startups, max(bare_startup)),
        Figure(
            "peak resident memory at start",
            median(memory) * 1e6,
            Unit.BYTES,
            args.startups,
            median(bare_memory) * 1e6,
        ),
    ]
    print_table(
        f"Kiosk ({args.members:,} members, {args.visits:,} visits; "
        "floor: a bare PySide6 label, bench/kiosk_floor.py)",
        figures,
    )
    if args.json is not None:
        write_json(args.json, "kiosk", figures, members=args.members, visits=args.visits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
