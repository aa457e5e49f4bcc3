"""Which tables replicate in which direction, and how rows relate across them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Table, UniqueConstraint

from station.db import (
    AccessEvent,
    Badge,
    Company,
    MachineSession,
    Member,
    Membership,
    MemberTraining,
    OpeningException,
    OpeningHours,
    Resource,
    SkillRecord,
    Training,
    Visit,
)
from station.db.refusals import CentralRefusal

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
    CentralRefusal,  # a site's own refusals, for its staff mode's count
)


def table_of(model: Any) -> Table:
    """The Core table of a mapped class, typed as a Table for mypy."""
    return cast(Table, model.__table__)


DOWN_TABLES: tuple[Table, ...] = tuple(table_of(m) for m in DOWN_MODELS)
# A down table with a `site_id` is a site's own (its equipment, central's refusals of its
# uploads): only that site's rows come down.
SITE_SCOPED = frozenset(t.name for t in DOWN_TABLES if "site_id" in t.c)

# Registry rows a site may create (a visitor signing up, a badge enrolled at the kiosk).
UP_REGISTRY_MODELS = (Member, Membership, Badge, MemberTraining)

# History created at a site and replicated up, idempotent by id.
HISTORY_MODELS = (Visit, AccessEvent, MachineSession, SkillRecord, Company)
# History rows that change after creation (a check-out, a session's end) are upserted.
MUTABLE_HISTORY = {
    Visit.__tablename__: ("checked_out_at", "checkout_reason", "purpose", "space"),
    MachineSession.__tablename__: ("ended_at", "end_reason", "duration_s"),
}

# Columns a site never sends up for an existing central row.
# A staff PIN's hash is set at central only (`station member pin`): a site never writes it.
NOT_UPLOADED = frozenset({"revision", "dirty", "updated_at", "origin_site", "staff_pin_hash"})


@dataclass(frozen=True)
class Parent:
    """A foreign key of a down table to another down table: `column` holds a `key` of
    `table`, which must be present at the site before the child row is written."""

    column: str
    table: str
    key: str


def _parents(table: Table) -> tuple[Parent, ...]:
    down = {t.name for t in DOWN_TABLES}
    links = (
        Parent(fk.parent.name, fk.column.table.name, fk.column.name) for fk in table.foreign_keys
    )
    return tuple(sorted((p for p in links if p.table in down), key=lambda p: p.column))


def _natural_keys(table: Table) -> tuple[tuple[str, ...], ...]:
    """Column tuples of the unique constraints and unique indexes, primary key aside."""
    keys = [
        tuple(c.name for c in constraint.columns)
        for constraint in table.constraints
        if isinstance(constraint, UniqueConstraint)
    ]
    keys += [tuple(c.name for c in index.columns) for index in table.indexes if index.unique]
    return tuple(sorted(set(keys)))


# Foreign keys a down row needs present at the site, by child table (from the models).
PARENTS: dict[str, tuple[Parent, ...]] = {
    t.name: links for t in DOWN_TABLES if (links := _parents(t))
}

# Unique keys other than the primary key, by table (from the models): a local row
# holding the same key under another id is stale (central is the master) and makes
# way for central's row.
NATURAL_KEYS: dict[str, tuple[tuple[str, ...], ...]] = {
    t.name: keys for t in DOWN_TABLES if (keys := _natural_keys(t))
}


def table_named(name: str) -> Table:
    for table in DOWN_TABLES:
        if table.name == name:
            return table
    raise KeyError(name)


def primary_key(table: Table) -> str:
    (column,) = table.primary_key.columns
    return column.name
