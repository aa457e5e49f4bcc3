"""The agent's wall clock, trusted only as far as it deserves.

A Raspberry Pi has no real-time clock: after a power cut without network it boots
at the time fake-hwclock saved at its last shutdown, hours or days behind, until
NTP answers; a spoofed NTP server can move it anywhere. Every hour-dependent
decision (schedules, plans, free access, closing time) reads this clock, so:

- the agent never decides on a wall time earlier than the newest signed time it has
  seen (a snapshot's `issued_at`, the site's signed time beacon) plus the monotonic
  time elapsed since;
- the clock is *untrusted* when the kernel says it is not synchronised, when it is
  behind that bound, or when it differs from the site's beacon by more than
  `max_skew_s`; the agent then reports `clock_unsynced` and follows its policy:
  `deny` (whatever depends on the hour is refused, `clock_unsynced`) or
  `last_trusted` (decide on the last signed time plus the monotonic time elapsed).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass

from station.config.hours import ClockConfig
from station.protocol.vocabulary import ClockProblem

log = logging.getLogger(__name__)

_TIME_ERROR = 5  # adjtimex(2): the clock is not synchronised


@functools.lru_cache(maxsize=1)
def _libc() -> ctypes.CDLL | None:
    # Looked up once: find_library may run ldconfig, far too slow for the badge path.
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    except OSError:
        return None


def kernel_clock_synced() -> bool | None:
    """What the kernel says (adjtimex, read only: one system call); None when it cannot
    be asked."""
    libc = _libc()
    if libc is None:
        return None
    try:
        timex = ctypes.create_string_buffer(512)  # struct timex, modes = 0: read only
        state = int(libc.adjtimex(timex))
    except AttributeError:
        return None
    return None if state < 0 else state != _TIME_ERROR


@dataclass(frozen=True, slots=True)
class Reading:
    at: dt.datetime  # the time to decide on
    problem: ClockProblem | None  # None: trusted
    hours_unknown: bool  # deny what depends on the hour
    skew_s: float | None = None  # our wall clock minus the site's, if known

    @property
    def trusted(self) -> bool:
        return self.problem is None


class AgentClock:
    def __init__(
        self,
        config: ClockConfig,
        *,
        wall: Callable[[], dt.datetime],
        monotonic: Callable[[], float],
        kernel_synced: Callable[[], bool | None] = kernel_clock_synced,
    ) -> None:
        self.config = config
        self.wall = wall
        self.monotonic = monotonic
        self.kernel_synced = kernel_synced
        self._signed: tuple[dt.datetime, float] | None = None  # newest signed time, when seen
        self._beacon: tuple[dt.datetime, float] | None = None  # the site's latest beacon

    def signed_time(self, at: dt.datetime) -> None:
        """A signed time from the site that is not fresh (a snapshot's issue time)."""
        if self._bound() is None or at > (self._bound() or at):
            self._signed = (at, self.monotonic())

    def beacon(self, at: dt.datetime) -> bool:
        """The site's signed time, just sent. False for one older than the last beacon
        (a replay cannot move the estimate back)."""
        if self._beacon is not None and at <= self._beacon[0]:
            return False
        self._beacon = (at, self.monotonic())
        self.signed_time(at)
        return True

    def read(self) -> Reading:
        wall = self.wall()
        bound = self._bound()
        site = self._since(self._beacon)
        skew = (wall - site).total_seconds() if site is not None else None
        problem: ClockProblem | None = None
        if self.kernel_synced() is False:
            problem = ClockProblem.KERNEL
        if bound is not None and (bound - wall).total_seconds() > self.config.max_skew_s:
            problem = ClockProblem.BEHIND
        if skew is not None and abs(skew) > self.config.max_skew_s:
            problem = ClockProblem.SKEW
        if problem is None:
            return Reading(max(wall, bound) if bound else wall, None, False, skew)
        if self.config.untrusted == "last_trusted" and bound is not None:
            return Reading(site or bound, problem, False, skew)
        return Reading(max(wall, bound) if bound else wall, problem, True, skew)

    def _bound(self) -> dt.datetime | None:
        """The newest signed time plus the monotonic time since: the earliest it can be."""
        return self._since(self._signed)

    def _since(self, seen: tuple[dt.datetime, float] | None) -> dt.datetime | None:
        if seen is None:
            return None
        at, when = seen
        return at + dt.timedelta(seconds=max(0.0, self.monotonic() - when))
