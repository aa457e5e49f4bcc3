"""How far each replication stream has got at a site (the `sync_cursors` table).

Down keeps central's last applied revision here; the grant compiler keeps the
versions it has published. Written in the same transaction as what it counts.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from station.db import SyncCursor, utcnow
from sync.rows import upsert
from sync.tables import table_of

DOWN = "down"


def read_cursor(site: Connection, name: str = DOWN) -> int:
    value = site.execute(select(SyncCursor.value).where(SyncCursor.name == name)).scalar()
    return int(value or 0)


def write_cursor(site: Connection, value: int, name: str = DOWN) -> None:
    upsert(
        site,
        table_of(SyncCursor),
        [{"name": name, "value": value, "updated_at": utcnow()}],
        guard_revision=False,
    )
