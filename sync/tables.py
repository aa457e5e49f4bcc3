"""Which tables replicate in which direction, and how rows relate across them."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table

from station.db import (
    AccessEvent,
    Badge,
    MachineSession,
    Member,
    Membership,
    MemberTraining,
    OpeningException,
    OpeningHours,
    Resource,
    Training,
    Visit,
)

# Mastered by central, replicated down; parents before children. The site's own
# equipment (resources, opening hours and exceptions) is seeded from its configuration
# at both ends with identifiers derived from what it is (station.seed), so the rows
# coincide; only the site's own rows of those tables come down.
DOWN_MODELS = (
    Training,
    Member,
    Membership,
    Badge,
    MemberTraining,
    Resource,
    OpeningHours,
    OpeningException,
)
SITE_SCOPED = frozenset({"resources", "opening_hours", "opening_exceptions"})


def table_of(model: Any) -> Table:
    """The Core table of a mapped class, typed as a Table for mypy."""
    return cast(Table, model.__table__)


DOWN_TABLES: tuple[Table, ...] = tuple(table_of(m) for m in DOWN_MODELS)

# Registry rows a site may create (a visitor signing up, a badge enrolled at the kiosk).
UP_REGISTRY_MODELS = (Member, Membership, Badge, MemberTraining)

# History created at a site and replicated up, idempotent by id.
HISTORY_MODELS = (Visit, AccessEvent, MachineSession)
# History rows that change after creation (a check-out, a session's end) are upserted.
MUTABLE_HISTORY = {
    Visit.__tablename__: ("checked_out_at", "checkout_reason", "purpose", "space"),
    MachineSession.__tablename__: ("ended_at", "end_reason", "duration_s"),
}

# Foreign keys a down row needs present at the site: table -> (column, parent table).
PARENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "memberships": (("member_id", "members"),),
    "credentials": (("member_id", "members"),),
    "member_trainings": (("member_id", "members"), ("training_code", "trainings")),
}

# Unique keys other than the primary key: a local row holding the same key under
# another id is stale (central is the master) and makes way for central's row.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "credentials": ("hash",),
    "member_trainings": ("member_id", "training_code"),
    "resources": ("site_id", "code"),
    "opening_exceptions": ("site_id", "day"),
}

# Columns a site never sends up for an existing central row.
NOT_UPLOADED = frozenset({"revision", "dirty", "updated_at", "origin_site"})


def table_named(name: str) -> Table:
    for table in DOWN_TABLES:
        if table.name == name:
            return table
    raise KeyError(name)


def primary_key(table: Table) -> str:
    (column,) = table.primary_key.columns
    return column.name
