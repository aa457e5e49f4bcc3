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
copy of what it uploaded. `station.demo_setup` gives the demo's site that copy, once the
people have come down, since the kiosk and `station report` read the site database.

Everything is drawn from one `random.Random`: the same seed, site and `now` give the
same rows, identifiers included. The clock is never read here.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Sequence
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from station import registry
from station.checkin import CLOSING, SELF, STAFF
from station.communes import OTHER_COMMUNE, load_communes
from station.config import MachineAgentConfig, StationConfig
from station.credential import Credential
from station.db import (
    Badge,
    BadgeStatus,
    MachineSession,
    Member,
    MemberKind,
    Membership,
    MemberTraining,
    Visit,
)
from station.demo_rhythms import (
    EVENT_STAY,
    FIRST_NAMES,
    LAST_NAMES,
    MONTH,
    OTHER_PROFILE,
    PROFILES,
    WEEKDAY,
    Day,
    Person,
    Profile,
    ascii_slug,
    day_ranges,
    overlap,
    uuid4_from,
    uuid7_from,
)
from station.protocol.vocabulary import EndReason
from station.schedule import Schedule

__all__ = ["HISTORY_DAYS", "Allocate", "seed_history"]

Allocate = Callable[[Connection, int], int]  # reserves n revisions at central: the first

HISTORY_DAYS = 92  # about three months before today
MEMBERS = 250  # visitors come on top, as they sign up day after day
RESIDENT = "resident"  # the plan of the coworkers who come nearly every day, if declared
EVENT = "event"  # the purpose of an event's crowd, when the site offers it
MACHINE_SPACES = frozenset({"fablab"})  # visits for these purposes (or spaces) use machines
FABMANAGER = "fabmanager (démo)"


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
        self.config = config
        self.now = now
        self.rng = rng
        self.site = config.site.id
        self.key = config.site_key
        self.zone = ZoneInfo(config.site.timezone)
        self.today = now.astimezone(self.zone).date()
        self.first_day = self.today - dt.timedelta(days=HISTORY_DAYS)
        self.kiosk = next(iter(config.kiosks), "entrance")
        kiosk = config.kiosks.get(self.kiosk)
        self.schedule = self._schedule(kiosk.schedule if kiosk else "opening_hours")
        self.purposes = {p.id: p.space for p in config.purposes}
        spaces = config.spaces
        self.space_schedules = {
            purpose: self._schedule(spaces[space].schedule) if space in spaces else None
            for purpose, space in self.purposes.items()
        }
        self.regular = [p for p in self.purposes if p != EVENT] or list(self.purposes)
        self.trainings = tuple(trainings)
        # Machines whose trainings the registry knows (a machine needing none: anyone).
        self.machines = [
            (agent_id, agent, self._schedule(agent.schedule))
            for agent_id, agent in config.agents.items()
            if isinstance(agent, MachineAgentConfig) and set(agent.trainings) <= set(trainings)
        ]
        self.plan = config.default_plan or "standard"  # the registry's plan before plans
        self.resident_plan = RESIDENT if RESIDENT in config.plans else self.plan
        self.taken_names = {(f.casefold(), last.casefold()) for f, last in taken_names}
        self.emails: set[str] = set()
        self.communes = load_communes()
        self.people: list[Person] = []
        self.visits: list[dict[str, Any]] = []
        self.sessions: list[dict[str, Any]] = []
        self.machine_busy: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}

    # -- drawing ---------------------------------------------------------------------

    def build(self) -> None:
        days = self._open_days()
        members = [self._member(days) for _ in range(MEMBERS)]
        joining: dict[dt.date, list[Person]] = {}
        for person in members:
            start = person.terms[0][0]
            if start > self.first_day:
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
                visitor = self._visitor(day)
                self._visit(visitor, day, self._purpose(visitor, day), first=True)
                self._plan_returns(visitor, index, len(days), returns, chance=0.35)
            if self._event_starts(day) is not None:
                self._event(day, index, len(days), members, returns)

    def _open_days(self) -> list[Day]:
        days = []
        for offset in range(HISTORY_DAYS, -1, -1):
            day = self.today - dt.timedelta(days=offset)
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

    def _member(self, days: list[Day]) -> Person:
        rng = self.rng
        main = rng.choices(self.regular, [self._profile(p).weight for p in self.regular])[0]
        first, last = self._name()
        if rng.random() < 0.8 or not days:  # already a member when the history starts
            created = self._at(
                self.first_day - dt.timedelta(days=rng.randint(20, 900)), rng.uniform(9.5, 17.5)
            )
            start = created.astimezone(self.zone).date()
            start += dt.timedelta(days=365 * ((self.first_day - start).days // 365))
        else:  # joins during the history: created at the desk just before the first visit
            day = rng.choice(days)
            created = self._at(day.day, day.ranges[0][0] / 60)
            start = day.day
        terms = [(start, start + dt.timedelta(days=364))]
        if terms[0][1] < self.today and rng.random() < 0.75:  # renewed
            renewed = terms[0][1] + dt.timedelta(days=1)
            terms.append((renewed, renewed + dt.timedelta(days=364)))
        plan = self.plan
        if main == "coworking":
            tier = rng.random()
            rate = (
                rng.uniform(0.55, 0.85)
                if tier < 0.15
                else rng.uniform(0.2, 0.4)
                if tier < 0.5
                else rng.uniform(0.04, 0.12)
            )
            if tier < 0.15:
                plan = self.resident_plan
        else:
            rate = rng.uniform(0.2, 0.35) if rng.random() < 0.2 else rng.uniform(0.03, 0.12)
        habits = {p: 0.3 * self._profile(p).weight for p in self.regular}
        habits[main] += 0.7
        person = Person(
            id=uuid4_from(rng),
            kind=MemberKind.MEMBER,
            first_name=first,
            last_name=last,
            email=self._email(first, last),
            commune=self._commune(elsewhere=0.05),
            created_at=created,
            habits=habits,
            main=main,
            rate=rate,
            terms=terms,
            plan=plan,
            badge=self._badge_hash(),
        )
        uses_machines = self._uses_machines(main)
        for code in self.trainings:
            if rng.random() < (0.55 if uses_machines else 0.06):
                person.trainings[code] = self._granted_at(code, created)
        self.people.append(person)
        return person

    def _visitor(self, day: Day) -> Person:
        rng = self.rng
        first = rng.choice(FIRST_NAMES)
        weights = [self._profile(p).visitors for p in self.regular]
        main = rng.choices(self.regular, weights if sum(weights) else None)[0]
        habits = {p: 0.2 * w for p, w in zip(self.regular, weights, strict=True)}
        habits[main] = habits.get(main, 0.0) + 0.8
        email = None
        if rng.random() < 0.5:
            email = self._email(first, f"{rng.randint(1, 99)}", domain="example.net")
        person = Person(
            id=uuid4_from(rng),
            kind=MemberKind.VISITOR,
            first_name=first,
            last_name="",
            email=email,
            commune=self._commune(elsewhere=0.12),
            created_at=self._at(day.day, 0),  # set at the first visit
            habits=habits,
            main=main,
            origin_site=self.site,
        )
        self.people.append(person)
        return person

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
                visitor = self._visitor(day)
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
        """One check-in (and its check-out, unless still in at `now`), in minutes of the day."""
        rng = self.rng
        ranges = day.open_for.get(purpose) if purpose else None
        if purpose is None or not ranges or day.day in person.days:
            return  # nothing open for it; one visit a day each
        profile = self._profile(purpose)
        low, mode, high = stay or profile.stay_min
        if arrival is None:
            opens, closes = rng.choices(ranges, [e - s for s, e in ranges])[0]
            latest = closes - low
            if latest <= opens:
                return
            wanted = profile.arrival_h * 60
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
        checked_in, planned_end = self._at(day.day, arrival / 60), self._at(day.day, end / 60)
        if checked_in >= self.now:
            return  # later today: it has not happened yet
        still_in = planned_end > self.now
        person.days.add(day.day)
        if first:  # registered (a visitor at the kiosk, a member at the desk) on arrival
            person.created_at = checked_in - dt.timedelta(
                minutes=0 if person.kind is MemberKind.VISITOR else 10
            )
        elif person.kind is MemberKind.VISITOR and person.badge is None and rng.random() < 0.5:
            # Back again: given a badge at the kiosk, so that next time a tap will do.
            person.badge = self._badge_hash()
            person.badge_at = min(checked_in + dt.timedelta(minutes=1), self.now)
        person.last_purpose = purpose
        self.visits.append(
            {
                "id": uuid7_from(rng, checked_in),
                "member_id": person.id,
                "kiosk_id": self.kiosk,
                "purpose": purpose,
                "space": self.purposes[purpose],
                "checked_in_at": checked_in,
                "checked_out_at": None if still_in else planned_end,
                "checkout_reason": None if still_in else reason,
                "home_commune": person.commune,
                "member_kind": person.kind.value,
                "site_id": self.site,
                "uploaded_at": self._uploaded(checked_in if still_in else planned_end),
            }
        )
        if self._uses_machines(purpose):
            self._sessions(person, checked_in, planned_end)

    def _sessions(self, person: Person, start: dt.datetime, end: dt.datetime) -> None:
        rng = self.rng
        for agent_id, agent, schedule in self.machines:
            granted = [person.trainings.get(code) for code in agent.trainings]
            if any(at is None or at > start for at in granted):
                continue
            if person.badge is None or rng.random() >= (0.55 if agent.machine.presence else 0.45):
                continue
            visit_min = (end - start).total_seconds() / 60
            if visit_min < 20:
                continue
            begins = start + dt.timedelta(minutes=rng.uniform(5, max(6, visit_min * 0.5)))
            length = (
                rng.triangular(8, 80, 25) if agent.machine.presence else rng.triangular(20, 300, 90)
            )
            reason = EndReason.BADGE_REMOVED if agent.machine.presence else EndReason.BADGE_TAP
            if length >= agent.machine.max_session_min:
                length, reason = agent.machine.max_session_min, EndReason.MAX_SESSION
            elif not agent.machine.presence and rng.random() < 0.05:
                reason = EndReason.IDLE_TIMEOUT
            ends = min(begins + dt.timedelta(minutes=length), end - dt.timedelta(minutes=2))
            closing = self._closing(schedule, begins)
            if closing is None:
                continue  # the machine is closed then (no fabmanager on site)
            if ends > closing:
                ends, reason = closing, EndReason.CLOSING_TIME
            if (
                ends <= begins + dt.timedelta(minutes=3)
                or ends > self.now
                or self._machine_taken(agent_id, begins, ends)
            ):
                continue
            self.sessions.append(
                {
                    "id": uuid7_from(rng, begins),
                    "agent_id": agent_id,
                    "resource": agent.resource,
                    "member_id": person.id,
                    "credential_hash": person.badge,
                    "started_at": begins,
                    "ended_at": ends,
                    "end_reason": reason,
                    "duration_s": round((ends - begins).total_seconds(), 3),
                    "site_id": self.site,
                    "uploaded_at": self._uploaded(ends),
                }
            )

    def _machine_taken(self, agent_id: str, begins: dt.datetime, ends: dt.datetime) -> bool:
        busy = self.machine_busy.setdefault(agent_id, [])
        if any(b < ends and begins < e for b, e in busy):
            return True
        busy.append((begins, ends))
        return False

    # -- small draws -------------------------------------------------------------------

    def _profile(self, purpose: str) -> Profile:
        return PROFILES.get(purpose, OTHER_PROFILE)

    def _boost(self, purpose: str, day: dt.date) -> float:
        profile = self._profile(purpose)
        return {2: profile.wednesday, 5: profile.saturday}.get(day.weekday(), 1.0)

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

    def _schedule(self, name: str) -> Schedule:
        # A name the configuration does not declare is closed, as for access decisions.
        return (
            self.config.schedule(name)
            if name in self.config.schedule_names()
            else Schedule(timezone=self.config.site.timezone)
        )

    def _closing(self, schedule: Schedule, at: dt.datetime) -> dt.datetime | None:
        """The end of the schedule's range open at `at`; None if closed then."""
        local = at.astimezone(self.zone)
        moment = local.hour * 60 + local.minute
        for opens, closes in day_ranges(schedule, local.date()):
            if opens <= moment < closes:
                return self._at(local.date(), closes / 60)
        return None

    def _uses_machines(self, purpose: str) -> bool:
        return purpose in MACHINE_SPACES or self.purposes.get(purpose) in MACHINE_SPACES

    def _count(self, mean: float) -> int:
        """A Poisson draw (Knuth's): how many newcomers today."""
        limit, count, product = math.exp(-mean), 0, self.rng.random()
        while product > limit:
            count += 1
            product *= self.rng.random()
        return count

    def _name(self) -> tuple[str, str]:
        while True:
            first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
            if (first.casefold(), last.casefold()) not in self.taken_names:
                self.taken_names.add((first.casefold(), last.casefold()))
                return first, last

    def _email(self, first: str, last: str, domain: str = "example.org") -> str:
        base = f"{ascii_slug(first)}.{ascii_slug(last)}"
        email, n = f"{base}@{domain}", 1
        while email in self.emails:
            n += 1
            email = f"{base}{n}@{domain}"
        self.emails.add(email)
        return email

    def _commune(self, *, elsewhere: float) -> str:
        if self.rng.random() < elsewhere:
            return OTHER_COMMUNE
        return self.rng.choices(self.communes, [c.population for c in self.communes])[0].insee

    def _badge_hash(self) -> str:
        uid = bytes([0x04]) + self.rng.randbytes(6)  # 7-byte UIDs: never a demo badge's
        return Credential.uid(uid).keyed_hash(self.key)

    def _granted_at(self, code: str, created: dt.datetime) -> dt.datetime:
        training = self.config.trainings.get(code)
        valid_days = training.valid_days if training else 0
        earliest = created + dt.timedelta(days=1)
        if valid_days:  # still valid today
            earliest = max(earliest, self.now - dt.timedelta(days=valid_days - 20))
        latest = max(earliest, self._at(self.first_day, 12))
        granted = (
            earliest
            + (latest - earliest) * self.rng.random()
            + dt.timedelta(days=self.rng.randint(0, 10))
        )
        return min(granted, self.now)

    def _at(self, day: dt.date, hour: float) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), self.zone) + dt.timedelta(
            seconds=round(hour * 3600)
        )
        return local.astimezone(dt.UTC)

    def _uploaded(self, changed: dt.datetime) -> dt.datetime:
        """When sync had it at central: its next round, a few seconds later."""
        return min(changed + dt.timedelta(seconds=self.rng.uniform(1, 12)), self.now)

    # -- writing -----------------------------------------------------------------------

    def write(self, session: Session, allocate: Allocate) -> int:
        people = [p for p in self.people if p.days]  # a member never seen is not drawn
        for person in people:
            person.created_at = min(person.created_at, self.now)
        members = [self._member_row(p) for p in people]
        memberships = [
            {
                "id": uuid4_from(self.rng),
                "member_id": p.id,
                "plan": p.plan,
                "valid_from": start,
                "valid_until": end,
                "origin_site": None,
                **self._replicated(self._at(start, 9)),
            }
            for p in people
            for start, end in p.terms
        ]
        badges = [
            {
                "id": uuid4_from(self.rng),
                "member_id": p.id,
                "kind": "uid",
                "hash": p.badge,
                "label": "badge visiteur" if p.origin_site else "carte d'adhérent",
                "status": BadgeStatus.ACTIVE,
                "enrolled_at": p.badge_at or p.created_at,
                "revoked_at": None,
                "origin_site": p.origin_site,
                **self._replicated(p.badge_at or p.created_at),
            }
            for p in people
            if p.badge is not None
        ]
        trainings = [
            {
                "id": uuid4_from(self.rng),
                "member_id": p.id,
                "training_code": code,
                "granted_by": FABMANAGER,
                "granted_at": at,
                "expires_at": self._expiry(code, at),
                "origin_site": None,
                **self._replicated(at),
            }
            for p in people
            for code, at in sorted(p.trainings.items())
        ]
        people_rows: list[tuple[Any, list[dict[str, Any]]]] = [
            (Member, members),
            (Membership, memberships),
            (Badge, badges),
            (MemberTraining, trainings),
        ]
        total = sum(len(rows) for _, rows in people_rows)
        if total:
            revision = allocate(session.connection(), total)
            for _, rows in people_rows:  # parents first, so a site meets them first
                for row in rows:
                    row["revision"], revision = revision, revision + 1
        for model, rows in [*people_rows, (Visit, self.visits), (MachineSession, self.sessions)]:
            if rows:
                session.execute(insert(model), rows)
        session.flush()
        return total + len(self.visits) + len(self.sessions)

    def _member_row(self, person: Person) -> dict[str, Any]:
        return {
            "id": person.id,
            "kind": person.kind,
            "first_name": person.first_name,
            "last_name": person.last_name,
            "email": person.email,
            "home_commune": person.commune,
            "consent_at": person.created_at,
            "created_at": person.created_at,
            "last_purpose": person.last_purpose,
            "origin_site": person.origin_site,
            **self._replicated(person.created_at),
        }

    def _replicated(self, at: dt.datetime) -> dict[str, Any]:
        return {"updated_at": min(at, self.now), "deleted_at": None, "dirty": False}

    def _expiry(self, code: str, granted: dt.datetime) -> dt.datetime | None:
        training = self.config.trainings.get(code)
        return (
            granted + dt.timedelta(days=training.valid_days)
            if training and training.valid_days
            else None
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
