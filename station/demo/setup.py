"""The demo's two databases, central and site, prepared as a site that has been running.

Central is seeded first (the site's resources, the demo people, three months of
history) and the people reach the site through replication, as they would in
production. History never comes down: a site keeps its own copy of what it
uploaded, and the kiosk's "today" and `station report` read the site database, so
the site then gets its copy of the history, marked uploaded like central's.

Replication belongs to sync, which the shared core does not import: the caller
(the command line) gives it as a `Replication`.
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Protocol, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, Table, insert, select
from sqlalchemy.orm import Session

from station.aggregates import rebuild
from station.config import StationConfig
from station.db import AccessEvent, MachineSession, Visit, make_engine, upgrade
from station.demo.data import seed_people
from station.demo.history import seed_history
from station.first_visits import backfill
from station.keystore import KeyStore
from station.seed import seed_site


class Replication(Protocol):
    """What the demo needs of sync."""

    def central_session(self, engine: Engine) -> AbstractContextManager[Session]:
        """A session at central whose writes get revisions, committed on success."""
        ...

    def allocate(self, connection: Connection, count: int) -> int:
        """Reserve `count` consecutive central revisions; the first."""
        ...

    def bring_down(self, site: Engine, central: Engine) -> None:
        """Replicate central's registry to the site (one `station sync` round)."""
        ...


def prepare_databases(config: StationConfig, now: dt.datetime, replication: Replication) -> None:
    """Migrate and fill both databases and make the site's keys; safe to run again
    (nothing is seeded twice, existing keys are kept)."""
    KeyStore(config.keys_dir).init(config.kiosks, now)
    zone = ZoneInfo(config.site.timezone)
    today = now.astimezone(zone).date()
    central_url = config.resolve_url(config.central.url)
    upgrade(central_url)
    central_engine = make_engine(central_url)
    try:
        with replication.central_session(central_engine) as session:
            seed_site(session, config)
            seed_people(session, config.badge_key)
            if seed_history(session, config, now, allocate=replication.allocate):  # once
                session.flush()
                rebuild(session.connection(), config.site.id, zone, until=today)
                backfill(session.connection(), config.site.id, zone)
        site_url = config.resolve_url(config.database.url)
        upgrade(site_url)
        site_engine = make_engine(site_url)
        try:
            with Session(site_engine) as session, session.begin():
                seed_site(session, config)
            replication.bring_down(site_engine, central_engine)
            with Session(central_engine) as source, Session(site_engine) as site, site.begin():
                if copy_history(source, site, config.site.id):
                    rebuild(site.connection(), config.site.id, zone, until=today)
                    backfill(site.connection(), config.site.id, zone)
        finally:
            site_engine.dispose()
    finally:
        central_engine.dispose()


def copy_history(central: Session, site: Session, site_id: str) -> int:
    """Give the site its own copy of the history central holds for it; the rows copied.

    What a site that has been running holds: the rows it uploaded, as they were
    (``uploaded_at`` included, so nothing goes up again). The people they refer to
    must have come down first. Nothing is copied, and 0 returned, if the site
    already has history of its own.
    """
    for model in (Visit, MachineSession):
        if site.scalar(select(model.id).where(model.site_id == site_id).limit(1)) is not None:
            return 0
    copied = 0
    for table in (cast("Table", m.__table__) for m in (Visit, MachineSession, AccessEvent)):
        rows = [
            dict(row._mapping)
            for row in central.execute(
                select(table).where(table.c.site_id == site_id, table.c.uploaded_at.is_not(None))
            )
        ]
        if rows:
            site.execute(insert(table), rows)
            copied += len(rows)
    site.flush()
    return copied
