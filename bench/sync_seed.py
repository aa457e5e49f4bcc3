"""The sync bench's central: members with badges and memberships, and access events,
written straight into PostgreSQL (bench/bench_sync.py)."""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid

from sqlalchemy import Engine, insert

from station.db import AccessEvent, Badge, Member, Membership, utcnow
from sync import central
from sync.tables import table_of

SITE = "bench-site"
AGENT = "front-door"


def seed_central(engine: Engine, members: int, badges: int, chunk: int = 20_000) -> None:
    """Members with a membership each, and badges spread over them, bulk-inserted."""
    now = utcnow()
    ids = [uuid.uuid4() for _ in range(members)]
    with engine.begin() as connection:
        revision = central.allocate(connection, 2 * members + badges)
        for start in range(0, members, chunk):
            part = ids[start : start + chunk]
            connection.execute(
                insert(table_of(Member)),
                [
                    {
                        "id": m,
                        "kind": "member",
                        "first_name": f"First{start + n}",
                        "last_name": f"Last{start + n}",
                        "email": None,
                        "home_commune": "62765",
                        "consent_at": now,
                        "created_at": now,
                        "last_purpose": None,
                        "revision": revision + start + n,
                        "updated_at": now,
                        "deleted_at": None,
                        "origin_site": None,
                        "dirty": False,
                    }
                    for n, m in enumerate(part)
                ],
            )
        revision += members
        for start in range(0, members, chunk):
            part = ids[start : start + chunk]
            connection.execute(
                insert(table_of(Membership)),
                [
                    {
                        "id": uuid.uuid4(),
                        "member_id": m,
                        "plan": "standard",
                        "valid_from": dt.date(2026, 1, 1),
                        "valid_until": dt.date(2030, 12, 31),
                        "revision": revision + start + n,
                        "updated_at": now,
                        "deleted_at": None,
                        "origin_site": None,
                        "dirty": False,
                    }
                    for n, m in enumerate(part)
                ],
            )
        revision += members
        for start in range(0, badges, chunk):
            connection.execute(
                insert(table_of(Badge)),
                [
                    {
                        "id": uuid.uuid4(),
                        "member_id": ids[b % members],
                        "kind": "uid",
                        "hash": hashlib.sha256(b"badge%d" % b).hexdigest(),
                        "label": "",
                        "status": "active",
                        "enrolled_at": now,
                        "revoked_at": None,
                        "revision": revision + b,
                        "updated_at": now,
                        "deleted_at": None,
                        "origin_site": None,
                        "dirty": False,
                    }
                    for b in range(start, min(start + chunk, badges))
                ],
            )


def seed_events(engine: Engine, count: int, chunk: int = 50_000) -> None:
    start = utcnow() - dt.timedelta(days=30)
    with engine.begin() as connection:
        for first in range(0, count, chunk):
            connection.execute(
                insert(table_of(AccessEvent)),
                [
                    {
                        "id": uuid.uuid4(),
                        "agent_id": AGENT,
                        "resource": AGENT,
                        "type": "granted",
                        "reason": "granted",
                        "credential_hash": "ab" * 32,
                        "member_id": None,
                        "at": start + dt.timedelta(seconds=n),
                        "data": {},
                        "site_id": SITE,
                        "uploaded_at": None,
                    }
                    for n in range(first, min(first + chunk, count))
                ],
            )
