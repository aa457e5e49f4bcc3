"""Three months of history for the demo, so that reports and the kiosk's "today" have figures.

`seed_history` writes into the **central registry**, once (nothing is written if central
already holds history for the site): a few hundred people of the territory (members and
visitors, home communes weighted by population, consent given), their check-ins over
the `HISTORY_DAYS` days before `now` and the earlier hours of today, and the sessions of
trained members on the site's machines. The rhythms are simple but real: nobody comes
while the site's schedule is closed, coworkers arrive in the morning, the fablab and
the creativity room fill on Wednesday afternoons and Saturdays, summer is quiet, an
event gathers a crowd on some Friday evenings and Saturdays, visitors keep signing up
(first-timers) and some come back.

Every row looks as if it had gone through sync: registry rows carry central revisions
(visitors and their badges with the site as ``origin_site``, as accepted from a kiosk
sign-up), nothing is ``dirty``, and history rows carry ``site_id`` and an
``uploaded_at`` a few seconds after their last change. So `sync.up` has nothing to send,
`sync.down` brings the people to the site like anyone else, and `station purge` treats
them as rows central already holds.

History never travels down (docs/sync.md); a site that has been running keeps its own
copy of what it uploaded. `station.demo.setup` gives the demo's site that copy, once the
people have come down, since the kiosk and `station report` read the site database.

Everything is drawn from one `random.Random`: the same seed, site and `now` give the
same rows, identifiers included. The clock is never read here.

The parts: `demo_frame` (the site, the period, the random source), `demo_people` (who
comes), `demo_machines` (their machine sessions), `demo_rows` (the rows written); this
module draws the days and the visits.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from station import registry
from station.checkin import CLOSING, SELF, STAFF
from station.config import StationConfig
from station.db import MachineSession, Member, MemberKind, Visit
from station.demo.frame import HISTORY_DAYS, Frame
from station.demo.machines import MachineSessions
from station.demo.people import People
from station.demo.rhythms import (
    EVENT_STAY,
    MONTH,
    WEEKDAY,
    Day,
    Person,
    Ranges,
    day_ranges,
    overlap,
    profile,
    uuid7_from,
)
from station.demo.rows import Allocate, write_history

__all__ = ["HISTORY_DAYS", "Allocate", "seed_history"]

MEMBERS = 250  # visitors come on top, as they sign up day after day
EVENT = "event"  # the purpose of an event's crowd, when the site offers it


class _History:
    """The whole history in memory, drawn day after day; then written in bulk."""

    def __init__(
        self,
        config: StationConfig,
        now: dt.datetime,
        rng: random.Random,
        *,
        taken_names: set[tuple[str, str]],
        trainings: Sequence[str],
    ) -> None:
        self.frame = frame = Frame(config, now, rng)
        self.rng = rng
        self.now = now
        self.kiosk = next(iter(config.kiosks), "entrance")
        kiosk = config.kiosks.get(self.kiosk)
        self.schedule = frame.schedule(kiosk.schedule if kiosk else "opening_hours")
        self.purposes = frame.purposes
        spaces = config.spaces
        self.space_schedules = {
            purpose: frame.schedule(spaces[space].schedule) if space in spaces else None
            for purpose, space in self.purposes.items()
        }
        self.regular = [p for p in self.purposes if p != EVENT] or list(self.purposes)
        self.machines = MachineSessions(frame, trainings)
        self.people = People(
            frame, regular=self.regular, taken_names=taken_names, trainings=trainings
        )
        self.visits: list[dict[str, Any]] = []

    # -- drawing ---------------------------------------------------------------------

    def build(self) -> None:
        days = self._open_days()
        members = [self.people.member(days) for _ in range(MEMBERS)]
        joining: dict[dt.date, list[Person]] = {}
        for person in members:
            start = person.terms[0][0]
            if start > self.frame.first_day:
                joining.setdefault(start, []).append(person)
        returns: dict[int, list[Person]] = {}
        for index, day in enumerate(days):
            for person in joining.get(day.day, []):  # a new member's first visit
                self._visit(person, day, self._purpose(person, day), first=True)
            for person in members:
                if (
                    person.member_on(day.day)
                    and day.day not in person.days
                    and self.rng.random()
                    < person.rate
                    * day.factor
                    * self._boost(person.main, day.day)
                    * self._share_open(person, day)
                ):
                    self._visit(person, day, self._purpose(person, day))
            for person in returns.pop(index, []):
                self._visit(person, day, self._purpose(person, day))
            boost = 1.4 if day.day.weekday() in (2, 5) else 1.0
            for _ in range(self._count(2.0 * day.factor * boost)):
                visitor = self.people.visitor(day)
                self._visit(visitor, day, self._purpose(visitor, day), first=True)
                self._plan_returns(visitor, index, len(days), returns, chance=0.35)
            if self._event_starts(day) is not None:
                self._event(day, index, len(days), members, returns)

    def _open_days(self) -> list[Day]:
        days = []
        for offset in range(HISTORY_DAYS, -1, -1):
            day = self.frame.today - dt.timedelta(days=offset)
            ranges = day_ranges(self.schedule, day)
            if not ranges:
                continue
            open_for = {}
            for purpose, schedule in self.space_schedules.items():
                during = ranges if schedule is None else overlap(ranges, day_ranges(schedule, day))
                if during:
                    open_for[purpose] = during
            factor = WEEKDAY[day.weekday()] * MONTH[day.month - 1]
            if (day.month, day.day) >= (12, 20) or (day.month, day.day) <= (1, 3):
                factor *= 0.6  # the year-end holidays
            days.append(Day(day, ranges, open_for, factor * self.rng.uniform(0.85, 1.15)))
        return days

    def _plan_returns(
        self,
        visitor: Person,
        index: int,
        count: int,
        returns: dict[int, list[Person]],
        *,
        chance: float,
    ) -> None:
        if not visitor.days or self.rng.random() >= chance:
            return  # never came (nothing open for them), or not coming back
        later = index
        for _ in range(self.rng.choice((1, 1, 1, 2, 2, 3, 4))):
            later += self.rng.randint(3, 18)
            if later >= count:
                break
            returns.setdefault(later, []).append(visitor)

    def _event_starts(self, day: Day) -> float | None:
        """The local hour an event starts that day, if there is one."""
        if EVENT not in day.open_for:
            return None
        closes = max(end for _, end in day.open_for[EVENT])
        weekday = day.day.weekday()
        if weekday == 4 and closes >= 20 * 60 + 30 and day.day.isocalendar().week % 2 == 0:
            return 18.25  # every other Friday evening
        if weekday == 5 and day.day.day <= 7 and closes >= 17 * 60:
            return 14.0  # the first Saturday of the month
        return None

    def _event(
        self,
        day: Day,
        index: int,
        count: int,
        members: list[Person],
        returns: dict[int, list[Person]],
    ) -> None:
        rng = self.rng
        hour = self._event_starts(day)
        assert hour is not None
        crowd = round(rng.randint(15, 40) * MONTH[day.day.month - 1])
        present = [p for p in members if p.member_on(day.day) and day.day not in p.days]
        for _ in range(crowd):
            arrival = rng.triangular(hour - 0.25, hour + 0.75, hour) * 60
            if present and rng.random() < 0.65:
                person = present.pop(rng.randrange(len(present)))
                self._visit(person, day, EVENT, arrival=arrival, stay=EVENT_STAY)
            else:  # signs up at the kiosk for the event
                visitor = self.people.visitor(day)
                self._visit(visitor, day, EVENT, arrival=arrival, stay=EVENT_STAY, first=True)
                self._plan_returns(visitor, index, count, returns, chance=0.15)

    def _visit(
        self,
        person: Person,
        day: Day,
        purpose: str | None,
        *,
        arrival: float | None = None,
        stay: tuple[float, float, float] | None = None,
        first: bool = False,
    ) -> None:
        """One check-in (and its check-out, unless still in at `now`)."""
        ranges = day.open_for.get(purpose) if purpose else None
        if purpose is None or not ranges or day.day in person.days:
            return  # nothing open for it; one visit a day each
        times = self._stay(day, purpose, ranges, arrival, stay)
        if times is None:
            return
        checked_in, planned_end, reason = times
        if checked_in >= self.now:
            return  # later today: it has not happened yet
        person.days.add(day.day)
        self._registered(person, checked_in, first=first)
        person.last_purpose = purpose
        self.visits.append(self._visit_row(person, purpose, checked_in, planned_end, reason))
        if self.frame.uses_machines(purpose):
            self.machines.during(person, checked_in, planned_end)

    def _stay(
        self,
        day: Day,
        purpose: str,
        ranges: Ranges,
        arrival: float | None,
        stay: tuple[float, float, float] | None,
    ) -> tuple[dt.datetime, dt.datetime, str] | None:
        """Check-in, planned check-out and its reason; None if no stay fits. `arrival`
        (minutes of the day) is drawn from the purpose's rhythm unless given."""
        rng = self.rng
        rhythm = profile(purpose)
        low, mode, high = stay or rhythm.stay_min
        if arrival is None:
            opens, closes = rng.choices(ranges, [e - s for s, e in ranges])[0]
            latest = closes - low
            if latest <= opens:
                return None
            wanted = rhythm.arrival_h * 60
            if day.day.weekday() in (2, 5) and purpose != "coworking":
                wanted = max(wanted, 14 * 60)  # Wednesday and Saturday afternoons
            wanted = min(max(wanted, opens), latest)
            arrival = rng.triangular(max(opens, wanted - 90), min(latest, wanted + 240), wanted)
        else:
            opens, closes = next(((s, e) for s, e in ranges if s <= arrival < e), ranges[-1])
            arrival = min(max(arrival, opens), closes - 10)
        end = arrival + rng.triangular(low, high, mode)
        reason = SELF
        if end >= closes or rng.random() < 0.04:  # stayed until closing, or forgot to tap out
            end, reason = closes, CLOSING
        elif rng.random() < 0.02:
            reason = STAFF  # checked out by staff from the staff screen
        return self.frame.at(day.day, arrival / 60), self.frame.at(day.day, end / 60), reason

    def _registered(self, person: Person, checked_in: dt.datetime, *, first: bool) -> None:
        if first:  # registered (a visitor at the kiosk, a member at the desk) on arrival
            person.created_at = checked_in - dt.timedelta(
                minutes=0 if person.kind is MemberKind.VISITOR else 10
            )
        elif person.kind is MemberKind.VISITOR and person.badge is None and self.rng.random() < 0.5:
            # Back again: given a badge at the kiosk, so that next time a tap will do.
            person.badge = self.people.badge_hash()
            person.badge_at = min(checked_in + dt.timedelta(minutes=1), self.now)

    def _visit_row(
        self,
        person: Person,
        purpose: str,
        checked_in: dt.datetime,
        planned_end: dt.datetime,
        reason: str,
    ) -> dict[str, Any]:
        still_in = planned_end > self.now
        return {
            "id": uuid7_from(self.rng, checked_in),
            "member_id": person.id,
            "kiosk_id": self.kiosk,
            "purpose": purpose,
            "space": self.purposes[purpose],
            "checked_in_at": checked_in,
            "checked_out_at": None if still_in else planned_end,
            "checkout_reason": None if still_in else reason,
            "home_commune": person.commune,
            "member_kind": person.kind.value,
            "site_id": self.frame.site,
            "uploaded_at": self.frame.uploaded(checked_in if still_in else planned_end),
        }

    # -- small draws -------------------------------------------------------------------

    def _boost(self, purpose: str, day: dt.date) -> float:
        rhythm = profile(purpose)
        return {2: rhythm.wednesday, 5: rhythm.saturday}.get(day.weekday(), 1.0)

    def _purpose(self, person: Person, day: Day) -> str | None:
        """What they come for today, among what is open; None if nothing is."""
        choices = [p for p in person.habits if p in day.open_for]
        weights = [person.habits[p] * self._boost(p, day.day) for p in choices]
        return self.rng.choices(choices, weights)[0] if sum(weights) > 0 else None

    def _share_open(self, person: Person, day: Day) -> float:
        """How much of what they come for is open today."""
        total = sum(person.habits.values())
        return (
            sum(w for p, w in person.habits.items() if p in day.open_for) / total if total else 0.0
        )

    def _count(self, mean: float) -> int:
        """A Poisson draw (Knuth's): how many newcomers today."""
        limit, count, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def write(self, session: Session, allocate: Allocate) -> int:
        return write_history(
            session, allocate, self.frame, self.people.drawn, self.visits, self.machines.rows
        )


def seed_history(
    session: Session,
    config: StationConfig,
    now: dt.datetime,
    *,
    allocate: Allocate,
    seed: int = 7,
) -> int:
    """Write about three months of the site's history at central; the rows added.

    `session` is on the central registry (its trainings seeded: `station.seed`); nothing
    is written, and 0 returned, when central already holds history for the site. The
    caller commits. Deterministic for a given seed, site and `now` (aware).
    `allocate(connection, n)` reserves n central revisions and returns the first
    (`sync.central.allocate`): the rows are bulk-inserted, which central's flush hook
    does not see.
    """
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime")
    site = config.site.id
    for model in (Visit, MachineSession):
        if session.scalar(select(model.id).where(model.site_id == site).limit(1)) is not None:
            return 0
    names = {(f, last) for f, last in session.execute(select(Member.first_name, Member.last_name))}
    trainings = registry.training_codes(session)
    history = _History(
        config, now, random.Random(f"{site}/{seed}"), taken_names=names, trainings=trainings
    )
    history.build()
    return history.write(session, allocate)
