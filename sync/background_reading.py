"""The whole registry read in a thread of its own, while the sync loop goes on.

The grant compiler reads the whole registry again every `compiler.RECONCILE_S`, to
check the deltas it compiled from the changed rows alone; at 150,000 badges that is
seconds, which a revocation must not wait behind. The reading (`sync.grant_reading`)
touches no state: this thread makes it and posts it to the loop's queue as a
`WholeRead`, and the loop takes it in (`GrantCompiler.adopt`), brought up to date.
"""

from __future__ import annotations

import logging
import queue
import threading
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from station.keystore import KeyStoreError
from sync.compiler import GrantCompiler
from sync.grant_reading import WholeReading

__all__ = ["BackgroundReading", "WholeRead", "WholeReading"]  # the loop's side of it

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WholeRead:
    """An inbox item: the reading done, or why it could not be (tried again later)."""

    reading: WholeReading | None
    error: str = ""


class BackgroundReading:
    """At most one reading at a time; `close` waits for it a little, never for long."""

    def __init__(self, compiler: GrantCompiler, site_engine: Engine, inbox: queue.Queue[Any]):
        self._compiler = compiler
        self._site_engine = site_engine
        self._inbox = inbox
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> bool:
        """Begin a reading unless one is under way; whether one began."""
        if self.running:
            return False
        self._thread = threading.Thread(target=self._read, name="grants-reading", daemon=True)
        self._thread.start()
        return True

    def _read(self) -> None:
        try:
            reading = self._compiler.read_whole(self._site_engine)
        except (DBAPIError, KeyStoreError) as exc:
            error = str(exc).splitlines()[0]
            log.warning("grants: whole reading failed (%s), tried again later", error)
            self._inbox.put(WholeRead(None, error))
            return
        self._inbox.put(WholeRead(reading))

    def close(self, timeout: float = 5.0) -> None:
        if self._thread is not None:
            self._thread.join(timeout)
