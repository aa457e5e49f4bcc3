"""Who comes in the demo's history: members (their terms, plan, badge and trainings)
and visitors, each drawn once, with names, e-mails and home communes that look real
(see `station.demo.history`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from station.communes import OTHER_COMMUNE, load_communes
from station.credential import Credential
from station.db import MemberKind
from station.demo.frame import Frame
from station.demo.rhythms import (
    FIRST_NAMES,
    LAST_NAMES,
    Day,
    Person,
    ascii_slug,
    profile,
    uuid4_from,
)

RESIDENT = "resident"  # the plan of the coworkers who come nearly every day, if declared


class People:
    """Draws people; `drawn` holds everyone drawn, seen or not."""

    def __init__(
        self,
        frame: Frame,
        *,
        regular: list[str],
        taken_names: set[tuple[str, str]],
        trainings: Sequence[str],
    ) -> None:
        config = frame.config
        self.frame = frame
        self.rng = frame.rng
        self.regular = regular  # the purposes of ordinary days (no event)
        self.trainings = tuple(trainings)
        self.plan = config.default_plan or "standard"  # the registry's plan before plans
        self.resident_plan = RESIDENT if RESIDENT in config.plans else self.plan
        self.taken_names = {(f.casefold(), last.casefold()) for f, last in taken_names}
        self.emails: set[str] = set()
        self.communes = load_communes()
        self.drawn: list[Person] = []

    def member(self, days: list[Day]) -> Person:
        rng = self.rng
        main = rng.choices(self.regular, [profile(p).weight for p in self.regular])[0]
        first, last = self._name()
        created, terms = self._terms(days)
        plan, rate = self._plan_and_rate(main)
        habits = {p: 0.3 * profile(p).weight for p in self.regular}
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
            badge=self.badge_hash(),
        )
        uses_machines = self.frame.uses_machines(main)
        for code in self.trainings:
            if rng.random() < (0.55 if uses_machines else 0.06):
                person.trainings[code] = self._granted_at(code, created)
        self.drawn.append(person)
        return person

    def _terms(self, days: list[Day]) -> tuple[dt.datetime, list[tuple[dt.date, dt.date]]]:
        """When a member was registered, and their memberships (renewed or not)."""
        rng, frame = self.rng, self.frame
        if rng.random() < 0.8 or not days:  # already a member when the history starts
            created = frame.at(
                frame.first_day - dt.timedelta(days=rng.randint(20, 900)), rng.uniform(9.5, 17.5)
            )
            start = created.astimezone(frame.zone).date()
            start += dt.timedelta(days=365 * ((frame.first_day - start).days // 365))
        else:  # joins during the history: created at the desk just before the first visit
            day = rng.choice(days)
            created = frame.at(day.day, day.ranges[0][0] / 60)
            start = day.day
        terms = [(start, start + dt.timedelta(days=364))]
        if terms[0][1] < frame.today and rng.random() < 0.75:  # renewed
            renewed = terms[0][1] + dt.timedelta(days=1)
            terms.append((renewed, renewed + dt.timedelta(days=364)))
        return created, terms

    def _plan_and_rate(self, main: str) -> tuple[str, float]:
        """A member's plan, and their chance of coming on an ordinary open day."""
        rng = self.rng
        if main != "coworking":
            rate = rng.uniform(0.2, 0.35) if rng.random() < 0.2 else rng.uniform(0.03, 0.12)
            return self.plan, rate
        tier = rng.random()
        rate = (
            rng.uniform(0.55, 0.85)
            if tier < 0.15
            else rng.uniform(0.2, 0.4)
            if tier < 0.5
            else rng.uniform(0.04, 0.12)
        )
        return (self.resident_plan if tier < 0.15 else self.plan), rate

    def visitor(self, day: Day) -> Person:
        rng = self.rng
        first = rng.choice(FIRST_NAMES)
        weights = [profile(p).visitors for p in self.regular]
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
            created_at=self.frame.at(day.day, 0),  # set at the first visit
            habits=habits,
            main=main,
            origin_site=self.frame.site,
        )
        self.drawn.append(person)
        return person

    def badge_hash(self) -> str:
        uid = bytes([0x04]) + self.rng.randbytes(6)  # 7-byte UIDs: never a demo badge's
        return Credential.uid(uid).keyed_hash(self.frame.config.badge_key)

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

    def _granted_at(self, code: str, created: dt.datetime) -> dt.datetime:
        frame = self.frame
        training = frame.config.trainings.get(code)
        valid_days = training.valid_days if training else 0
        earliest = created + dt.timedelta(days=1)
        if valid_days:  # still valid today
            earliest = max(earliest, frame.now - dt.timedelta(days=valid_days - 20))
        latest = max(earliest, frame.at(frame.first_day, 12))
        granted = (
            earliest
            + (latest - earliest) * self.rng.random()
            + dt.timedelta(days=self.rng.randint(0, 10))
        )
        return min(granted, frame.now)
