"""A secure (DESFire AES) badge read: the software's share, beside its floor.

    .venv/bin/python bench/bench_desfire.py [--reads 300] [--pcsc-reads 100] [--taps 10]
        [--json PATH]

One card, issued once (`hardware.desfire.issue`) on the tests' virtual DESFire EV2
(tests/support/desfire_card.py), then read with `hardware.desfire.read_secure` as an
agent reads it (GetVersion, SelectApplication, file 0, AuthenticateEV2First with the
diversified read key, GetCardUID, file 1 in FULL mode):

- "in process, exchange excluded": the card's logic answers each APDU in the same
  process; the time spent inside the card (its own AES) is taken off, leaving the
  reader's code alone;
- "pcscd + vpcd, card connected": `read_secure` over `PcscTransport` on the virtual
  reader ``Virtual PCD 00 01`` (SCardTransmit, pcscd, vpcd's socket and the card
  included); the target is under 30 ms;
- "PcscReader: backend -> callback": what an agent's reader does from the moment
  pcscd reported the card to the owner's callback (connect, GET DATA, the GetVersion
  probe, the secure read, disconnect).

The floor is the same AES and CMAC operations alone: every call a read makes to
`hardware.desfire.crypto`'s primitives (ECB, CBC, CMAC: one `cryptography` operation
each), recorded during one read, then replayed straight through `cryptography`.
"""

from __future__ import annotations

import argparse
import queue
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.figures import Figure, Unit, add_json_option, write_json
from hardware.desfire import SiteKeys, crypto, issue, read_secure
from hardware.readers.base import BadgePresented, ReaderEvent
from hardware.readers.pcsc import PcscReader
from station.config.reader import ReaderConfig
from tests.support.desfire_card import DesfireCard

SITE = SiteKeys(
    issue_master=bytes(range(1, 17)),
    read_master=bytes(range(17, 33)),
    aid=bytes.fromhex("1017F5"),
    system_id=b"bench-site",
)
VALUE = bytes(range(100, 116))
UID = bytes.fromhex("04B1E2C3D4E5F6")
Op = tuple[str, tuple[Any, ...]]
PRIMITIVES = ("ecb_encrypt", "cbc_encrypt", "cbc_decrypt", "cmac")
TARGET = "under 30 ms"


class TimedTransport:
    """The card's own logic in process, the time spent in it added up."""

    def __init__(self, card: DesfireCard) -> None:
        self.card = card
        self.inside = 0.0

    def transmit(self, apdu: bytes) -> bytes:
        started = time.perf_counter()
        try:
            return self.card.transmit(apdu)
        finally:
            self.inside += time.perf_counter() - started


def issued_card(port: int = 35963) -> DesfireCard:
    card = DesfireCard(UID, port=port)
    issue(card, SITE, VALUE)
    card.apdus.clear()
    card.answers.clear()
    return card


def bench_in_process(reads: int) -> tuple[list[float], list[float], int]:
    """The reader's share of each read (card time taken off), and the whole read."""
    card = issued_card()
    keys = SITE.read_keys()
    share: list[float] = []
    whole: list[float] = []
    for _ in range(reads):
        transport = TimedTransport(card)
        started = time.perf_counter()
        read = read_secure(transport, keys)
        spent = time.perf_counter() - started
        assert read.credential.value == VALUE
        share.append(spent - transport.inside)
        whole.append(spent)
        apdus = len(card.apdus)
        card.apdus.clear()
        card.answers.clear()
    return share, whole, apdus


@contextmanager
def recording() -> Iterator[list[Op]]:
    """Every primitive call of `hardware.desfire.crypto`, with its arguments."""
    ops: list[Op] = []
    originals = {name: getattr(crypto, name) for name in PRIMITIVES}

    def wrap(name: str, function: Callable[..., bytes]) -> Callable[..., bytes]:
        def recorded(*args: Any) -> bytes:
            ops.append((name, args))
            return function(*args)

        return recorded

    for name, function in originals.items():
        setattr(crypto, name, wrap(name, function))
    try:
        yield ops
    finally:
        for name, function in originals.items():
            setattr(crypto, name, function)


def replay(ops: list[Op]) -> None:
    """The recorded operations straight through `cryptography`."""
    for name, args in ops:
        if name == "cmac":
            mac = CMAC(algorithms.AES(args[0]))
            mac.update(args[1])
            mac.finalize()
            continue
        if name == "ecb_encrypt":
            context = Cipher(algorithms.AES(args[0]), modes.ECB()).encryptor()
            data = args[1]
        else:
            cipher = Cipher(algorithms.AES(args[0]), modes.CBC(args[1]))
            context = cipher.encryptor() if name == "cbc_encrypt" else cipher.decryptor()
            data = args[2]
        context.update(data)
        context.finalize()


def bench_floor(reads: int) -> tuple[list[float], dict[str, int]]:
    card = issued_card()
    with recording() as ops:
        read_secure(card, SITE.read_keys())
    counts = {name: sum(1 for op, _ in ops if op == name) for name in PRIMITIVES}
    floor = []
    for _ in range(reads):
        started = time.perf_counter()
        replay(ops)
        floor.append(time.perf_counter() - started)
    return floor, counts


def bench_pcsc_connected(reads: int) -> list[float]:
    from hardware.readers.pcsc_transport import wait_for_card
    from tests.support import pcsc

    info = pcsc.ensure()
    card = issued_card(port=info.ports[1])
    keys = SITE.read_keys()
    spent: list[float] = []
    with card, wait_for_card(info.readers[1], 10) as present:
        for _ in range(reads):
            started = time.perf_counter()
            read = read_secure(present.transport, keys)
            spent.append(time.perf_counter() - started)
            assert read.credential.value == VALUE
            card.apdus.clear()
            card.answers.clear()
    pcsc.wait_card(info.readers[1], present=False)
    return spent


class Sink:
    def __init__(self) -> None:
        self.arrivals: queue.Queue[tuple[ReaderEvent, float]] = queue.Queue()

    def __call__(self, event: ReaderEvent) -> None:
        if isinstance(event, BadgePresented):
            self.arrivals.put((event, time.monotonic()))


def bench_reader(taps: int) -> list[float]:
    from tests.support import pcsc

    info = pcsc.ensure()
    sink = Sink()
    name = info.readers[1]
    config = ReaderConfig(path=f"pcsc:{name}", debounce_s=0)
    spent: list[float] = []
    with PcscReader("bench", config, sink, pattern=name, read_keys=SITE.read_keys()):
        pcsc.wait_card(name, present=False)
        for _ in range(taps):
            card = issued_card(port=info.ports[1])
            card.insert()
            event, arrived = sink.arrivals.get(timeout=10)
            assert isinstance(event, BadgePresented) and event.credential.value == VALUE
            spent.append(arrived - event.at)
            card.remove()
            pcsc.wait_card(name, present=False)
    return spent


def ms(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reads", type=int, default=300, help="in-process reads")
    parser.add_argument("--pcsc-reads", type=int, default=100, help="reads through pcscd")
    parser.add_argument("--taps", type=int, default=10, help="card insertions (PcscReader)")
    parser.add_argument("--no-pcsc", action="store_true", help="skip pcscd + vpcd")
    add_json_option(parser)
    args = parser.parse_args()

    share, whole, apdus = bench_in_process(args.reads)
    floor, counts = bench_floor(args.reads)
    floor_ms = statistics.median(floor) * 1000
    rows: list[tuple[str, list[float]]] = [
        ("in process, exchange excluded (reader's code)", share),
        ("in process, card's logic included", whole),
    ]
    if not args.no_pcsc:
        from tests.support import pcsc

        missing = pcsc.available()
        if missing:
            print(f"pcsc skipped: {missing}", file=sys.stderr)
        else:
            with pcsc.exclusive():
                rows.append(("pcscd + vpcd, card connected", bench_pcsc_connected(args.pcsc_reads)))
                rows.append(("PcscReader: backend -> callback", bench_reader(args.taps)))

    table = Table(title=f"Secure DESFire read ({apdus} APDUs): software's share beside its floor")
    for column in ("measure", "n", "median ms", "p99 ms", "max ms", "floor ms", "ratio"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for measure, values in rows:
        median = statistics.median(values) * 1000
        table.add_row(
            measure,
            str(len(values)),
            f"{median:.3f}",
            f"{ms(values, 0.99):.3f}",
            f"{max(values) * 1000:.3f}",
            f"{floor_ms:.3f}",
            f"{median / floor_ms:.1f}",
        )
    console = Console(width=120)
    console.print(table)
    ops = ", ".join(f"{name} {count}" for name, count in counts.items())
    console.print(f"floor: the read's {sum(counts.values())} primitive operations ({ops})")
    if args.json:
        figures = [
            Figure(
                f"{measure} (median)",
                statistics.median(values) * 1000,
                Unit.MILLISECONDS,
                len(values),
                floor_ms,
                TARGET if measure.startswith("pcscd") else "",
            )
            for measure, values in rows
        ]
        write_json(args.json, "desfire", figures, apdus=apdus, floor_operations=counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
