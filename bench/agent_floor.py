"""The floor of an agent's decision: a bare queue -> dict lookup -> gpiozero pin write.

The least any agent must do between a reader's thread seeing a card and the relay
moving: hand the UID to one consuming thread, look it up, write the pin. No keyed
hash, no schedule, no SQLite, no outbox: what the product adds on top of this is
its own cost, which `bench_agent.py` shows as the ratio to this floor. A second
floor for decisions per second adds the one thing no agent may skip, the decision
written where a power cut cannot lose it (one SQLite row, one synced commit).
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from gpiozero import DigitalOutputDevice
from gpiozero.pins.mock import MockFactory, MockPin

RELAY_PIN = 17


class FloorAgent:
    """One queue, one loop, one relay: a granted tap toggles it (start, end of session)."""

    def __init__(self, granted: set[str], grants: int, journal: Path | None = None) -> None:
        self.factory = MockFactory()
        self.relay = DigitalOutputDevice(RELAY_PIN, pin_factory=self.factory)
        self.pin: MockPin = self.factory.pin(RELAY_PIN)  # type: ignore[assignment]
        self.grants = {f"0C{i:06X}": True for i in range(grants)} | dict.fromkeys(granted, True)
        self.events: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._journal = None if journal is None else durable_journal(journal)

    def present(self, uid: str) -> None:
        self.events.put(uid)

    def _run(self) -> None:
        while (uid := self.events.get()) is not None:
            if self.grants.get(uid):
                self.relay.toggle()
            if self._journal is not None:
                self._journal.execute("INSERT INTO decision (uid) VALUES (?)", (uid,))

    @contextmanager
    def running(self) -> Iterator[FloorAgent]:
        self._thread.start()
        try:
            yield self
        finally:
            self.events.put(None)
            self._thread.join(10)
            self.relay.close()
            self.factory.close()
            if self._journal is not None:
                self._journal.close()


def durable_journal(path: Path) -> sqlite3.Connection:
    """The least a decision that survives a power cut costs: one row, one synced commit."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE IF NOT EXISTS decision (uid TEXT NOT NULL)")
    return conn


def floor_latencies(
    granted: list[str], grants: int, taps: int, wait: Callable[[Callable[[], bool]], None]
) -> list[float]:
    """Milliseconds from the put to the pin's change, tap after tap (each tap on an idle loop)."""
    samples: list[float] = []
    with FloorAgent(set(granted), grants).running() as agent:
        for i in range(taps + 20):  # the first 20 warm up, as in the product's run
            uid = granted[i % len(granted)]
            for expected in (True, False):
                at = time.monotonic()
                agent.present(uid)
                wait(lambda expected=expected: agent.pin.state == expected)  # type: ignore[misc]
                if expected and i >= 20:
                    samples.append((agent.pin._last_change - at) * 1000)
    return samples


def floor_decisions_per_second(
    granted: list[str], grants: int, decisions: int, journal: Path | None = None
) -> float:
    """Taps queued back to back; decisions per second from the first put to the last change.
    With ``journal``, each decision is also committed there, synced."""
    with FloorAgent(set(granted), grants, journal).running() as agent:
        uid = granted[0]
        started = time.monotonic()
        for _ in range(decisions):
            agent.present(uid)
        deadline = started + 60
        while len(agent.pin.states) < decisions + 1 and time.monotonic() < deadline:
            time.sleep(0.001)
        if len(agent.pin.states) < decisions + 1:
            raise RuntimeError(f"the floor changed its pin {len(agent.pin.states) - 1} times")
        return decisions / (agent.pin._last_change - started)


def floor_process(host: str, port: int) -> None:
    """Run as a process: the floor of an agent's start-up and memory. Imports what any
    agent needs (paho, gpiozero), drives its relay pin off, connects to the broker and
    tells systemd it is ready; then waits to be stopped."""
    import os
    import signal
    import socket

    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    factory = MockFactory()
    relay = DigitalOutputDevice(RELAY_PIN, pin_factory=factory, initial_value=False)
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id="bench-floor")
    client.connect(host, port)
    client.loop_start()
    notify = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    notify.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    client.loop_stop()
    relay.close()


if __name__ == "__main__":
    import sys

    floor_process(sys.argv[1], int(sys.argv[2]))
