"""When a version sent as a delta alone gets its whole snapshot (`sync.compiler`).

The delta is what carries a revocation to the agents, at once; the whole snapshot,
published retained, is for agents that start or come back. Building it signs every
entry (0.6 s for 150,000 badges; seconds more when it is the turn of a full reading
of the registry, `compiler.RECONCILE_S`), and the loop that does it would make the
next revocation wait: so it is built once the changes settle,
SETTLE_S after the last delta, and at the latest SETTLE_MAX_S after the first one
(a burst of changes never starves an agent that restarts). Until then the retained
snapshot is the version before, and an agent starting then sees the next delta as a
gap and waits for the snapshot (docs/sync.md, "Deltas").
"""

from __future__ import annotations

SETTLE_S = 5.0
SETTLE_MAX_S = 30.0


class Settling:
    """The deltas' timing since the last whole snapshot, on a monotonic clock."""

    def __init__(self, settle_s: float = SETTLE_S, settle_max_s: float = SETTLE_MAX_S) -> None:
        self.settle_s, self.settle_max_s = settle_s, settle_max_s
        self._first: float | None = None
        self._last = 0.0

    def delta_sent(self, now: float) -> None:
        # After a quiet spell the burst before is over, settled whichever way (a whole
        # reading taken in builds the snapshots too): this delta starts a new one.
        if self._first is None or now - self._last >= self.settle_s:
            self._first = now
        self._last = now

    def due(self, now: float) -> bool:
        """Whether to build the whole snapshots now (True when no delta waits)."""
        if self._first is None:
            return True
        return now - self._last >= self.settle_s or now - self._first >= self.settle_max_s

    def settled(self) -> None:
        self._first = None
