"""What every part of the demo's history shares: the site, the period it covers, its
schedules and the one random source (see `station.demo.history`)."""

from __future__ import annotations

import datetime as dt
import random
from zoneinfo import ZoneInfo

from station.config import StationConfig
from station.demo.rhythms import day_ranges
from station.schedule import Schedule

HISTORY_DAYS = 92  # about three months before today
MACHINE_SPACES = frozenset({"fablab"})  # visits for these purposes (or spaces) use machines


class Frame:
    """The site and the days before `now`; every draw takes from `rng`, in one order."""

    def __init__(self, config: StationConfig, now: dt.datetime, rng: random.Random) -> None:
        self.config = config
        self.now = now
        self.rng = rng
        self.site = config.site.id
        self.zone = ZoneInfo(config.site.timezone)
        self.today = now.astimezone(self.zone).date()
        self.first_day = self.today - dt.timedelta(days=HISTORY_DAYS)
        self.purposes = {p.id: p.space for p in config.purposes}

    def at(self, day: dt.date, hour: float) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), self.zone) + dt.timedelta(
            seconds=round(hour * 3600)
        )
        return local.astimezone(dt.UTC)

    def uploaded(self, changed: dt.datetime) -> dt.datetime:
        """When sync had it at central: its next round, a few seconds later."""
        return min(changed + dt.timedelta(seconds=self.rng.uniform(1, 12)), self.now)

    def schedule(self, name: str) -> Schedule:
        # A name the configuration does not declare is closed, as for access decisions.
        return (
            self.config.schedule(name)
            if name in self.config.schedule_names()
            else Schedule(timezone=self.config.site.timezone)
        )

    def closing(self, schedule: Schedule, at: dt.datetime) -> dt.datetime | None:
        """The end of the schedule's range open at `at`; None if closed then."""
        local = at.astimezone(self.zone)
        moment = local.hour * 60 + local.minute
        for opens, closes in day_ranges(schedule, local.date()):
            if opens <= moment < closes:
                return self.at(local.date(), closes / 60)
        return None

    def uses_machines(self, purpose: str) -> bool:
        return purpose in MACHINE_SPACES or self.purposes.get(purpose) in MACHINE_SPACES
