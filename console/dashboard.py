"""The dashboard's figures, from central's registry and the visits sites sent up."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from station.db import Member, Visit
from station.db.live import live
from station.refusals import open_count
from station.reports.side_by_side import SideBySide, side_by_side
from station.today import day_bounds


@dataclass(frozen=True)
class SiteToday:
    site_id: str
    entries: int  # check-ins today (the local day)
    in_now: int  # visits still open, as central last heard


@dataclass(frozen=True)
class Dashboard:
    people: int
    sites: list[SiteToday]
    # What central refused of the sites' uploads, not dealt with yet (/refusals).
    refusals_pending: int
    year: SideBySide  # the year to date, site by site (published: small cells hidden)


def dashboard(
    session: Session, now: dt.datetime, timezone: str, site_id: str | None = None
) -> Dashboard:
    """Figures of every site, or of `site_id` alone (a manager's or reception's)."""
    start, end = day_bounds(now, timezone)
    entries_query = (
        select(Visit.site_id, func.count())
        .where(Visit.checked_in_at >= start, Visit.checked_in_at < end)
        .group_by(Visit.site_id)
    )
    open_query = (
        select(Visit.site_id, func.count())
        .where(Visit.checked_out_at.is_(None))
        .group_by(Visit.site_id)
    )
    if site_id is not None:
        entries_query = entries_query.where(Visit.site_id == site_id)
        open_query = open_query.where(Visit.site_id == site_id)
    entries = {site: int(n) for site, n in session.execute(entries_query).all()}
    present = {site: int(n) for site, n in session.execute(open_query).all()}
    sites = sorted(set(entries) | set(present) | ({site_id} if site_id else set()))
    people = session.scalar(select(func.count()).select_from(Member).where(live(Member))) or 0
    refusals = open_count(session, site_id)
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    return Dashboard(
        people=people,
        sites=[SiteToday(s, entries.get(s, 0), present.get(s, 0)) for s in sites],
        refusals_pending=refusals,
        year=side_by_side(session.connection(), local.date(), zone, site_id),
    )
