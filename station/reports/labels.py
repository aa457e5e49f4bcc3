"""Names for what a report's keys code: communes, spaces, purposes, periods, columns.

Every human format (table, CSV, xlsx, charts) shows these; JSON keeps the codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from station.communes import OTHER_COMMUNE, load_communes
from station.reports.table import UNKNOWN, Dimension, ReportTable
from station.reports.words import MONTHS, WEEKDAYS, WORDS, Lang, pick, word

if TYPE_CHECKING:
    from station.config import StationConfig

Names = Mapping[str, tuple[str, str]]  # code -> (French, English)

# The dimensions whose codes the configuration names: the `Labels` field holding them.
_NAMED_BY: dict[str, str] = {
    Dimension.SPACE: "spaces",
    Dimension.PURPOSE: "purposes",
    Dimension.TRAINING: "trainings",
    Dimension.PLAN: "plans",
    Dimension.MACHINE: "machines",
    Dimension.SKILL: "skills",
    Dimension.OFFER: "purposes",  # a company's offer is a purpose
}


@dataclass(frozen=True)
class Labels:
    """Labels in one language, from the site's configuration."""

    lang: Lang = Lang.FR
    spaces: Names = field(default_factory=dict)
    purposes: Names = field(default_factory=dict)
    trainings: Names = field(default_factory=dict)
    plans: Names = field(default_factory=dict)
    skills: Names = field(default_factory=dict)
    machines: Names = field(default_factory=dict)
    sites: Mapping[str, str] = field(default_factory=dict)  # site id -> its name

    @classmethod
    def from_config(cls, config: StationConfig, lang: Lang = Lang.FR) -> Labels:
        return cls(
            lang=lang,
            spaces={code: (s.fr, s.en) for code, s in config.spaces.items()},
            purposes={p.id: (p.fr, p.en) for p in config.purposes},
            trainings={code: (t.fr, t.en) for code, t in config.trainings.items()},
            plans={code: (p.fr, p.en) for code, p in config.plans.items()},
            skills={code: (s.fr, s.en) for code, s in config.skills.items()},
            # Agents have one name, shown to staff as it is in either language.
            machines={
                a.resource: (a.name, a.name) for a in config.agents.values() if a.kind == "machine"
            },
            sites={config.site.id: config.site.name},
        )

    def word(self, key: str) -> str:
        return word(key, self.lang)

    def column(self, name: str) -> str:
        """A dimension's or a measure's column title."""
        return self.word(name)

    def value(self, dimension: str, key: str) -> str:
        """What a dimension's key stands for, in words."""
        if key in {UNKNOWN, ""}:
            return self.word("unknown")
        named = self._named(dimension)
        if named is not None:
            return pick(named[key], self.lang) if key in named else key
        if dimension == Dimension.COMMUNE:
            return self.commune(key)
        if dimension == Dimension.SITE:
            return self.site(key)
        if dimension == Dimension.KIND:
            return self.word(f"kind.{key}") if f"kind.{key}" in _KINDS else key
        if dimension == Dimension.AGE:
            return self.word(f"age.{key}") if f"age.{key}" in WORDS else key
        return self._period(dimension, key)

    def commune(self, insee: str) -> str:
        if insee == OTHER_COMMUNE:
            return self.word("outside")
        name = _commune_names().get(insee)
        return f"{name} ({insee})" if name else insee

    def commune_name(self, insee: str) -> str:
        """The commune's name alone (its code shown beside it); outside the territory or
        not given, in words."""
        if insee == OTHER_COMMUNE:
            return self.word("outside")
        if insee in {UNKNOWN, ""}:
            return self.word("unknown")
        return _commune_names().get(insee, insee)

    def site(self, site_id: str | None) -> str:
        if site_id is None:
            return self.word("all_sites")
        return self.sites.get(site_id, site_id)

    def day(self, day: dt.date) -> str:
        month = pick(MONTHS[day.month - 1], self.lang)
        if self.lang is Lang.FR:
            return f"{'1er' if day.day == 1 else day.day} {month} {day.year}"
        return f"{day.day} {month} {day.year}"

    def title(self, table: ReportTable, measure: str | None = None) -> str:
        """What the figures are (the report, or the one measure a chart draws), where and
        when: enough to read a chart without the table."""
        what = self.column(measure) if measure else self.word(f"report.{table.name}")
        if table.dimensions:
            names = [self.column(d).lower() for d in table.dimensions]
            what += f" {self.word('by')} " + f" {self.word('and')} ".join(names)
        where = self.site(table.site)
        if table.first_day is None or table.last_day is None:
            return f"{what}, {where}"
        span = f"{self.day(table.first_day)} – {self.day(table.last_day)}"
        return f"{what}, {where}, {span}"

    def method(self, method: str) -> str:
        key = f"method.{method}"
        return self.word(key) if key in _METHODS else method

    def _named(self, dimension: str) -> Names | None:
        field_name = _NAMED_BY.get(dimension)
        return getattr(self, field_name) if field_name is not None else None

    def _period(self, dimension: str, key: str) -> str:
        label = _PERIOD_LABELS.get(dimension)  # a day's key is its own label
        if label is None:
            return key
        try:
            return label(key, self.lang)
        except (ValueError, IndexError):
            return key


def _week(key: str, lang: Lang) -> str:
    year, week = key.split("-W")
    return f"{'semaine' if lang is Lang.FR else 'week'} {int(week)} ({year})"


def _month(key: str, lang: Lang) -> str:
    year, month = key.split("-")
    return f"{pick(MONTHS[int(month) - 1], lang)} {year}"


def _quarter(key: str, lang: Lang) -> str:
    year, quarter = key.split("-Q")
    return f"{'T' if lang is Lang.FR else 'Q'}{int(quarter)} {year}"


def _hour(key: str, lang: Lang) -> str:
    hour = int(key)
    return f"{hour} h" if lang is Lang.FR else f"{hour:02d}:00"


def _weekday(key: str, lang: Lang) -> str:
    return pick(WEEKDAYS[int(key) - 1], lang)


_PERIOD_LABELS: dict[str, Callable[[str, Lang], str]] = {
    Dimension.WEEK: _week,
    Dimension.MONTH: _month,
    Dimension.QUARTER: _quarter,
    Dimension.HOUR: _hour,
    Dimension.WEEKDAY: _weekday,
}
_KINDS = frozenset({"kind.member", "kind.visitor", "kind.staff"})
_METHODS = frozenset(key for key in WORDS if key.startswith("method."))


@cache
def _commune_names() -> dict[str, str]:
    return {c.insee: c.name for c in load_communes()}
