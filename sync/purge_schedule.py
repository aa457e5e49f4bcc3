"""The retention purge, once a day, from the sync loop (`SyncService.run`).

At the site it purges the site database (only what central already holds). At
central it purges the registry when this sync owns central's writes (the demo's
SQLite central, or a server whose sync uses the registry's owner account); a
site's own account may not delete at central, and then the central purge is left
to `station purge --central` where central runs (station-purge.timer). Each purge
is due once per local day of the site: the day of the last one is a
`sync_cursors` row of the database purged, written in the purge's transaction,
so a restart does not purge twice in a day and a failed purge is tried again at
the next round.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from station.config import StationConfig
from station.retention import PurgeResult, purge
from sync import central
from sync.cursors import read_cursor, write_cursor

log = logging.getLogger(__name__)

SITE_CURSOR = "purge"  # the local day (YYYYMMDD) of the site database's last purge
CENTRAL_CURSOR = "purge-central"  # the same, in central's own sync_cursors


@dataclass
class PurgeRound:
    purged: list[str] = field(default_factory=list)  # the targets purged now
    failed: dict[str, str] = field(default_factory=dict)  # target -> why


@dataclass(frozen=True)
class Target:
    name: str  # "site" or "central", for the logs
    cursor: str
    session: Callable[[], AbstractContextManager[Session]]  # committed on success
    site_id: str | None  # None: every site
    uploaded_only: bool


class DailyPurge:
    """`run_due()` purges whatever has not been purged today; raises what failed."""

    def __init__(
        self,
        config: StationConfig,
        site_engine: Engine,
        central_engine: Engine,
        wall: Callable[[], dt.datetime],
    ) -> None:
        self.retention = config.retention
        self.zone = ZoneInfo(config.site.timezone)
        self.wall = wall
        self.targets = [
            Target("site", SITE_CURSOR, lambda: _session(site_engine), config.site.id, True),
            Target("central", CENTRAL_CURSOR, lambda: central.session(central_engine), None, False),
        ]
        self._done: dict[str, int] = {}  # target -> day of its last purge, once read
        self.results: dict[str, PurgeResult] = {}  # the last purge of each target

    def run_due(self) -> PurgeRound:
        """Purge each target not purged today. A target that may not be purged here
        (central without the owner's rights) is dropped for good; any other failure
        is reported, and the target is due again at the next call."""
        now = self.wall()
        today = _day(now.astimezone(self.zone).date())
        done = PurgeRound()
        for target in list(self.targets):
            if self._done.get(target.name) == today:
                continue
            try:
                if self._purge(target, now, today):
                    done.purged.append(target.name)
            except DBAPIError as exc:
                if target.name == "central" and "permission denied" in str(exc):
                    log.info("purge: central's is not this sync's to run (a site account)")
                    self.targets.remove(target)
                else:
                    done.failed[target.name] = _first_line(exc)
                    continue
            except Exception as exc:  # a purge is never worth the loop: tried again later
                done.failed[target.name] = _first_line(exc)
                continue
            self._done[target.name] = today
        return done

    def _purge(self, target: Target, now: dt.datetime, today: int) -> bool:
        with target.session() as session:
            if read_cursor(session.connection(), target.cursor) >= today:
                return False  # done today before a restart
            result = purge(
                session,
                target.site_id,
                self.retention.movement_days,
                self.retention.visitor_days,
                zone=self.zone,
                now=now,
                uploaded_only=target.uploaded_only,
            )
            write_cursor(session.connection(), today, target.cursor)
        self.results[target.name] = result
        counts = ", ".join(f"{k} {v}" for k, v in result.counts().items())
        log.info("purge: %s: %s", target.name, counts)
        return True


@contextmanager
def _session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as session, session.begin():
        yield session


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _day(day: dt.date) -> int:
    return day.year * 10_000 + day.month * 100 + day.day
