"""systemd notifications: READY once started, WATCHDOG=1 from the loop, STOPPING.

The unit (deploy/station-agent@.service) sets ``WatchdogSec``; systemd passes
``WATCHDOG_USEC`` and kills and restarts an agent whose loop stops kicking, and
the restart drops the relay. Outside systemd (no NOTIFY_SOCKET) this does nothing.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

import sdnotify


class Watchdog:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self._notifier = sdnotify.SystemdNotifier() if env.get("NOTIFY_SOCKET") else None
        usec = env.get("WATCHDOG_USEC", "")
        # Kick at twice the rate systemd demands, and at least every 5 s.
        self.interval_s = min(int(usec) / 2e6, 5.0) if usec.isdigit() and int(usec) else 5.0
        self._last = float("-inf")
        self.kicks = 0

    @property
    def enabled(self) -> bool:
        return self._notifier is not None

    def ready(self, status: str = "") -> None:
        self._send("READY=1" + (f"\nSTATUS={status}" if status else ""))

    def kick(self, now: float, *, force: bool = False) -> None:
        """Called by the loop on every turn; notifies at most once per interval, unless
        ``force`` (before a step that may take seconds: it gets a whole WatchdogSec)."""
        if force or now - self._last >= self.interval_s:
            self._last = now
            self.kicks += 1
            self._send("WATCHDOG=1")

    def stopping(self) -> None:
        self._send("STOPPING=1")

    def _send(self, message: str) -> None:
        if self._notifier is not None:
            self._notifier.notify(message)
