"""The names of the site's figures: the reports, their dimensions, the "not given" value.

Defined here, below both the reports (`station.reports`) and the domain that keeps the
figures (`station.people`), so that neither imports the other.
"""

from __future__ import annotations

import enum

UNKNOWN = "unknown"  # the dimension's value was not recorded ("did not say")


class Dimension(enum.StrEnum):
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"
    HOUR = "hour"
    WEEKDAY = "weekday"
    SPACE = "space"
    PURPOSE = "purpose"
    COMMUNE = "commune"
    KIND = "kind"
    PLAN = "plan"
    AGE = "age"  # the age band in the visit's year (station.ages)
    MACHINE = "machine"
    TRAINING = "training"
    SITE = "site"  # at central: the site's id
    SKILL = "skill"  # a code of [skills]
    OFFER = "offer"  # the purpose (offer) that hosted a company


class Report(enum.StrEnum):
    ENTRIES = "entries"
    USAGE = "usage"
    SKILLS = "skills"
    COMPANIES = "companies"
