"""Reader latency and idle CPU, for the sim and pcsc backends.

    .venv/bin/python bench/bench_readers.py [--taps 2000] [--pcsc-taps 40] [--idle-s 5]
        [--json PATH]

"backend -> callback" is the software's share: from the moment the backend saw
the card (the event's ``at``) to the owner's callback, i.e. for pcsc the
connect + GET DATA exchange with the card and our bookkeeping. "tap -> callback"
adds what comes before: for pcsc, pcscd's polling of the reader (vpcd: 400 ms),
for the socket, the `station reader tap` round trip. Idle CPU is the reader's
process CPU time over a quiet period, in percent of one core.

Each latency stands beside its floor (bench/readers_floor.py, same run): a plain
call for sim, a bare UNIX socket server for the socket, a raw pyscard loop on the
same virtual reader and cards for pcsc.

pcsc rows need pcscd and vsmartcard-vpcd (started here if not running); they use
the second virtual reader, ``Virtual PCD 00 01``, which tests leave alone.
"""

from __future__ import annotations

import argparse
import queue
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, Unit, add_json_option, print_table, write_json
from bench.readers_floor import pcsc_floor, sim_floor, socket_floor
from hardware.readers.base import BadgePresented, Reader, ReaderEvent
from hardware.readers.pcsc import PcscReader
from hardware.readers.sim import SimReader, send_command
from station.config.reader import ReaderConfig

Row = tuple[str, str, int, list[float], list[float]]  # backend, measure, n, product, floor


class Sink:
    """The owner's callback: notes when each presentation arrived."""

    def __init__(self) -> None:
        self.arrivals: queue.Queue[tuple[BadgePresented, float]] = queue.Queue()

    def __call__(self, event: ReaderEvent) -> None:
        if isinstance(event, BadgePresented):
            self.arrivals.put((event, time.monotonic()))

    def take(self, timeout: float = 5.0) -> tuple[BadgePresented, float]:
        return self.arrivals.get(timeout=timeout)


def uid(n: int) -> str:
    return f"04{n:012X}"


def bench_sim(taps: int) -> list[Row]:
    sink = Sink()
    config = ReaderConfig(path="sim:bench", debounce_s=0)
    backend: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.sock"
        with SimReader("bench", config, sink, socket_path=path) as reader:
            for n in range(taps):
                reader.present(uid(n))
                event, arrived = sink.take()
                backend.append(arrived - event.at)
                reader.remove()
            tapped: list[float] = []
            for n in range(min(taps, 500)):
                start = time.monotonic()
                send_command(path, f"tap {uid(n)}")
                _, arrived = sink.take()
                tapped.append(arrived - start)
    return [
        ("sim", "backend -> callback", taps, backend, sim_floor([uid(n) for n in range(taps)])),
        (
            "sim",
            "tap (socket) -> callback",
            len(tapped),
            tapped,
            socket_floor([uid(n) for n in range(len(tapped))]),
        ),
    ]


def bench_pcsc(taps: int) -> list[Row]:
    from tests.support import pcsc
    from tests.support.vcard import VirtualCard

    info = pcsc.ensure()
    sink = Sink()
    config = ReaderConfig(path=f"pcsc:{info.readers[1]}", debounce_s=0)
    backend: list[float] = []
    tapped: list[float] = []
    with PcscReader("bench", config, sink, pattern=info.readers[1]):
        pcsc.wait_card(info.readers[1], present=False)
        for n in range(taps):
            card = VirtualCard(bytes.fromhex(uid(n)), port=info.ports[1])
            time.sleep(random.uniform(0, 0.4))  # a tap at any phase of pcscd's 400 ms poll
            start = time.monotonic()
            card.insert()
            event, arrived = sink.take()
            backend.append(arrived - event.at)
            tapped.append(arrived - start)
            card.remove()
            pcsc.wait_card(info.readers[1], present=False)

    def insert(n: int) -> Callable[[], None]:
        card = VirtualCard(bytes.fromhex(uid(n)), port=info.ports[1])
        card.insert()
        return card.remove

    seen_floor, tap_floor = pcsc_floor(info.readers[1], taps, insert)
    return [
        ("pcsc (pcscd + vpcd)", "backend -> callback", taps, backend, seen_floor),
        ("pcsc (pcscd + vpcd)", "tap -> callback (incl. pcscd poll)", taps, tapped, tap_floor),
    ]


def idle_cpu(make: Callable[[Sink], Reader], seconds: float) -> float:
    with make(Sink()):
        time.sleep(0.5)  # let it settle
        cpu, wall = time.process_time(), time.monotonic()
        time.sleep(seconds)
        return 100 * (time.process_time() - cpu) / (time.monotonic() - wall)


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def figures(rows: list[Row], idle: dict[str, float], idle_s: float) -> list[Figure]:
    """Each latency's median, p99 and max (ms), and each backend's idle CPU, as CPU ms
    per second of wall time (10 ms/s is 1 % of one core)."""
    found: list[Figure] = []
    for backend, measure, n, values, floor in rows:
        label = f"{backend}: {measure}"
        found += [
            Figure(
                f"{label}: median",
                statistics.median(values) * 1000,
                Unit.MILLISECONDS,
                n,
                statistics.median(floor) * 1000,
            ),
            Figure(f"{label}: p99", ms(values, 0.99), Unit.MILLISECONDS, n, ms(floor, 0.99)),
            Figure(f"{label}: max", max(values) * 1000, Unit.MILLISECONDS, n, max(floor) * 1000),
        ]
    for backend, percent in idle.items():
        found.append(
            Figure(
                f"{backend}: idle reader, process CPU per second over {idle_s:g} s "
                "(10 ms = 1 % of one core)",
                percent * 10,
                Unit.MILLISECONDS,
            )
        )
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--taps", type=int, default=2000, help="sim presentations")
    parser.add_argument("--pcsc-taps", type=int, default=40, help="virtual card insertions")
    parser.add_argument("--idle-s", type=float, default=5.0, help="idle CPU period")
    parser.add_argument("--no-pcsc", action="store_true", help="skip the pcsc backend")
    add_json_option(parser)
    args = parser.parse_args()

    rows = bench_sim(args.taps)
    idle = {
        "sim": idle_cpu(
            lambda sink: SimReader(
                "idle",
                ReaderConfig(path="sim:idle"),
                sink,
                socket_path=Path(tempfile.mkdtemp()) / "idle.sock",
            ),
            args.idle_s,
        )
    }
    if not args.no_pcsc:
        from tests.support import pcsc

        missing = pcsc.available()
        if missing:
            print(f"pcsc skipped: {missing}", file=sys.stderr)
        else:
            with pcsc.exclusive():  # no test run restarting pcscd under us
                rows += bench_pcsc(args.pcsc_taps)
                name = pcsc.READERS[1]
                idle["pcsc (pcscd + vpcd)"] = idle_cpu(
                    lambda sink: PcscReader(
                        "idle", ReaderConfig(path=f"pcsc:{name}"), sink, pattern=name
                    ),
                    args.idle_s,
                )

    found = figures(rows, idle, args.idle_s)
    print_table("Readers: badge event -> owner's callback; idle CPU", found)
    print(
        f"idle reader, process CPU over {args.idle_s:g} s, % of one core: "
        + ", ".join(f"{backend} {percent:.3f}" for backend, percent in idle.items())
    )
    if args.json is not None:
        write_json(args.json, "readers", found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
