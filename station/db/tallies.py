"""The figures' tables: the cells, roll-ups and distinct people the reports read, kept
from the raw visits and sessions in the same transaction as whatever changes them
(`station.aggregates`, `station.rollups`, `station.people`). What survives the purge:
no name, and a person's id only where a figure needs it while they are registered.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import JSON, Date, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from station.db.models import Base


class EntryTally(Base):
    """One cell of the daily entry figures: the check-ins of one local hour that share
    space, purpose, home commune, kind, plan and age band. No person: what survives the purge.

    Maintained from the raw visits in the same transaction as whatever changes them
    (`station.aggregates`), at the site and at central, each for its own rows.
    """

    __tablename__ = "entry_tallies"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # the site's local day
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)  # local, 0-23
    space: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(64), primary_key=True)
    commune: Mapped[str] = mapped_column(String(5), primary_key=True)  # "": not given
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    plan: Mapped[str] = mapped_column(String(64), primary_key=True)  # "": no membership
    age_band: Mapped[str] = mapped_column(String(8), primary_key=True, default="")  # "": none
    entries: Mapped[int] = mapped_column(Integer, default=0)
    # Visits with a check-out, the sum of their minutes, and their minutes in 5-minute
    # buckets ({"<bucket start>": count}): a median over any range, without the visits.
    timed: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[float] = mapped_column(default=0.0)
    durations: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


class EntryRollup(Base):
    """The entry cells summed by one dimension (or none: `dimension` "") over one row of
    a `station.rollups.Grain`: a local day, an ISO week, a month, a year, or one weekday
    of a month or a year. What a report over years reads, some hundreds of rows where
    the cells are millions (`station.rollups`). No person."""

    __tablename__ = "entry_rollups"

    # Dimension first: a report asks for one dimension, at one site or at every site.
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    grain: Mapped[str] = mapped_column(String(8), primary_key=True)  # a rollups.Grain
    start: Mapped[dt.date] = mapped_column(Date, primary_key=True)  # the day, or the 1st
    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    entries: Mapped[int] = mapped_column(Integer, default=0)
    members: Mapped[int] = mapped_column(Integer, default=0)
    visitors: Mapped[int] = mapped_column(Integer, default=0)
    timed: Mapped[int] = mapped_column(Integer, default=0)
    minutes: Mapped[float] = mapped_column(default=0.0)
    durations: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    # The row's own median minutes: a report's group that is one roll-up row (by day,
    # by whole weeks or months) reads it instead of adding the buckets.
    median: Mapped[float | None] = mapped_column(default=None)


class FoldedRow(Base):
    """A visit or machine session the purge added to a frozen day's figures and deleted
    (`station.retention`): the same row sent again (a lost acknowledgement, a replayed
    upload) is then deleted without being counted twice. An id and a time, no person."""

    __tablename__ = "folded_rows"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    folded_at: Mapped[dt.datetime] = mapped_column()


class StaleRollup(Base):
    """A local day whose entry cells changed since it was rolled up: reports read its
    cells, until the next roll-up (`station.rollups.roll_up`) sums it again."""

    __tablename__ = "stale_rollups"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)


class UsageTally(Base):
    """One cell of the daily machine figures: the sessions started in one local hour
    on one machine, and their machine time. No person."""

    __tablename__ = "usage_tallies"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    hour: Mapped[int] = mapped_column(Integer, primary_key=True)
    machine: Mapped[str] = mapped_column(String(64), primary_key=True)
    sessions: Mapped[int] = mapped_column(Integer, default=0)
    seconds: Mapped[float] = mapped_column(default=0.0)


class FirstVisit(Base):
    """The local day of a person's first check-in at a site: what makes them a
    first-timer in the figures. Kept while the person is registered (forgetting them
    deletes it); the visits themselves go after the retention period."""

    __tablename__ = "first_visits"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    day: Mapped[dt.date] = mapped_column(Date)


class PeriodPeople(Base):
    """Distinct people (and first-timers) of one period, overall or for one value of one
    dimension: frozen when the period closes, so that the figures outlive the visits
    (`station.people`)."""

    __tablename__ = "period_people"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    report: Mapped[str] = mapped_column(String(16), primary_key=True)  # entries | usage
    period: Mapped[str] = mapped_column(String(16), primary_key=True)  # day ... year
    key: Mapped[str] = mapped_column(String(16), primary_key=True)  # 2026-W12, 2026-Q1...
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)  # "": the total
    value: Mapped[str] = mapped_column(String(64), primary_key=True)  # "" with no dimension
    people: Mapped[int] = mapped_column(Integer, default=0)
    first_time: Mapped[int | None] = mapped_column(Integer, default=None)
    frozen_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class PeriodMember(Base):
    """A person seen in a period not closed yet, kept because their visit or session is
    about to lose its link (the purge): what makes a quarter's or a year's distinct
    people exact when the period outlives the retention. Deleted once the period is
    frozen, and when the person is forgotten (`station.people`)."""

    __tablename__ = "period_members"

    site_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    report: Mapped[str] = mapped_column(String(16), primary_key=True)
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(64), primary_key=True)
    member_id: Mapped[uuid.UUID] = mapped_column(primary_key=True, index=True)
