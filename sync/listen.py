"""PostgreSQL LISTEN on central's change channel: a thread that only posts wake-ups.

Central's writers ``NOTIFY station_registry`` at commit (sync.central), so a site
starts its down round within milliseconds of a change; the poll interval remains
the fallback whenever this connection is down. A payload ``commands:<site>`` is the
console's command request for that site (`CommandsRequested`), relayed at once.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url

from sync.central import CHANNEL, COMMANDS_PREFIX

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CentralChanged:
    revision: int


@dataclass(frozen=True)
class CommandsRequested:
    """The console wrote a command request for `site` (sync.central.notify_commands)."""

    site: str


class CentralListener:
    """Keeps a LISTEN connection open, reconnecting with backoff; `close()` stops it."""

    def __init__(self, url: str, inbox: queue.Queue[Any], *, max_backoff_s: float = 30.0) -> None:
        parsed = make_url(url)
        if parsed.get_backend_name() != "postgresql":
            raise ValueError("LISTEN/NOTIFY needs a PostgreSQL central")
        self._dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._inbox = inbox
        self._max_backoff = max_backoff_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="central listen", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None

    def _run(self) -> None:
        import psycopg

        backoff = 1.0
        while not self._stop.is_set():
            try:
                with psycopg.connect(self._dsn, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self.listening.set()
                    backoff = 1.0
                    # A wake-up on (re)connect: changes made while not listening count.
                    self._inbox.put(CentralChanged(0))
                    while not self._stop.is_set():
                        # A short wait: close() is heard within it (tests and the
                        # demo stop many services; one select per 0.1 s costs nothing).
                        for note in conn.notifies(timeout=0.1):
                            self._inbox.put(_wake_up(note.payload))
            except psycopg.Error as exc:
                self.listening.clear()
                log.debug("central listen: %s; retry in %.0f s", exc, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, self._max_backoff)
        self.listening.clear()


def _wake_up(payload: str) -> CentralChanged | CommandsRequested:
    if payload.startswith(COMMANDS_PREFIX):
        return CommandsRequested(payload.removeprefix(COMMANDS_PREFIX))
    return CentralChanged(_revision(payload))


def _revision(payload: str) -> int:
    try:
        return int(payload)
    except ValueError:
        return 0
