"""The registry's holders as the grant compiler last read them, and what changed since.

A revocation must reach the agents in well under a second whatever the registry's
size, so the compiler does not read 150,000 badges again for it: it asks this cache
which members' rows changed since its last reading (a row whose central `revision`
or local `updated_at` is past the highest it saw), reads those members' facts alone,
and turns the difference into each agent's delta (`sync.compiler`).

The cache only speeds things up; the full reading stays the truth. It declines
(`changed_members` returns None) whenever a change could escape it: a row gone
outright (a table's count went down), a training, resource or opening-hours row
changed (they touch many holders at once), keys rotated, a first reading. The
compiler then reads everything; it also does so when changes settle once
`compiler.RECONCILE_S` have passed since its last full reading: a change the cache
missed would show there as a new version.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, String, func, or_, select, type_coerce

from station.access import Holder, credential_facts, uuid_text
from station.db import (
    Badge,
    Member,
    Membership,
    MemberTraining,
    OpeningException,
    OpeningHours,
    Resource,
    Training,
)
from station.protocol.grant_digest import GrantsDigest, entry_bytes
from station.protocol.grants import entry_to_json
from station.rules import ResourceFacts
from sync.audience import may_hold

# The tables whose rows belong to one member, with the column naming that member;
# their order is the start of `fingerprint`'s.
_MemberRow = type[Member] | type[Membership] | type[Badge] | type[MemberTraining]
MEMBER_TABLES: tuple[tuple[_MemberRow, Any], ...] = (
    (Member, Member.id),
    (Membership, Membership.member_id),
    (Badge, Badge.member_id),
    (MemberTraining, MemberTraining.member_id),
)
# Every table whose rows feed the grants.
_WATCHED = (
    *(model for model, _member in MEMBER_TABLES),
    Training,
    Resource,
    OpeningHours,
    OpeningException,
)


def fingerprint(connection: Connection) -> tuple[Any, ...]:
    """Changes whenever a row that feeds the grants is added, changed or removed."""
    parts: list[Any] = []
    for model in _WATCHED:
        # One aggregate per SELECT: each max is then a lookup in its column's index
        # (SQLite scans the table for two aggregates in one).
        parts += connection.execute(
            select(
                select(func.count()).select_from(model).scalar_subquery(),
                select(func.max(model.updated_at)).scalar_subquery(),
                select(func.max(model.revision)).scalar_subquery(),
            )
        ).one()
    return tuple(parts)


Moved = dict[str, tuple[list[Holder], list[Holder]]]  # {member: (before, now)}
_PARTS = 3  # (count, max updated_at, max revision) per table in the fingerprint


class HolderCache:
    """{member id: that member's holders} and {badge hash: its member}, from the last
    reading, with the fingerprint it was taken at."""

    def __init__(self, holders: Iterable[Holder], marker: Sequence[Any]) -> None:
        self.by_member: dict[str, list[Holder]] = {}
        self.owner: dict[str, str] = {}
        for holder in holders:
            self._add(holder)
        self.marker = tuple(marker)

    def changed_members(self, connection: Connection, marker: Sequence[Any]) -> set[str] | None:
        """The members whose rows changed between the cached marker and `marker`, or None
        if the change is not one the cache can follow."""
        split = len(MEMBER_TABLES) * _PARTS
        if len(marker) != len(self.marker) or marker[split:] != self.marker[split:]:
            return None
        changed: set[str] = set()
        for index, (model, member_column) in enumerate(MEMBER_TABLES):
            count, updated, revision = self.marker[index * _PARTS : (index + 1) * _PARTS]
            if marker[index * _PARTS] < count:  # a row deleted outright leaves no trace
                return None
            key = type_coerce(member_column, String)
            rows = select(key)
            if updated is not None:  # else the table was empty: every row is new
                rows = rows.where(
                    or_(
                        model.revision > (revision or 0),
                        model.updated_at >= updated,  # >=: same-instant rows re-read
                    )
                )
            changed.update(uuid_text(row[0]) for row in connection.execute(rows))
        return changed

    def reread(
        self,
        connection: Connection,
        members: set[str],
        plan_of: Callable[[str], str],
    ) -> Moved:
        """Read `members` again: {member: (holders before, holders now)} for each, and
        for a member who lost a badge to one of them. The cache is unchanged until
        `keep` (once the versions made of it are committed)."""
        fresh: dict[str, list[Holder]] = {member: [] for member in members}
        ids = [uuid.UUID(member) for member in members]
        for holder in credential_facts(connection, member_ids=ids, plan_of=plan_of):
            fresh[holder.member_id].append(holder)
        # A badge handed from one member to another: the first one's holders lose it.
        taken = {badge for held in fresh.values() for holder in held for badge in holder.badges}
        losers = {self.owner[b] for b in taken if b in self.owner} - fresh.keys()
        for member in losers:
            kept = (
                Holder(h.member_id, h.facts, [b for b in h.badges if b not in taken])
                for h in self.by_member.get(member, ())
            )
            fresh[member] = [holder for holder in kept if holder.badges]
        return {member: (self.by_member.get(member, []), held) for member, held in fresh.items()}

    def keep(self, moved: Moved, marker: Sequence[Any]) -> None:
        """Take in what `reread` found, as of `marker`."""
        for member, (before, _now) in moved.items():
            for holder in before:
                for badge in holder.badges:
                    if self.owner.get(badge) == member:
                        del self.owner[badge]
            self.by_member.pop(member, None)
        for _before, held in moved.values():
            for holder in held:
                self._add(holder)
        self.marker = tuple(marker)

    def _add(self, holder: Holder) -> None:
        self.by_member.setdefault(holder.member_id, []).append(holder)
        for badge in holder.badges:
            self.owner[badge] = holder.member_id


def agent_changes(
    moved: Moved, resource: ResourceFacts, entries: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """(the entries to write, the hashes to drop) of one agent's `entries` for the
    members re-read."""
    held = {
        badge for before, _now in moved.values() for h in before for badge in h.badges
    } & entries.keys()
    now: dict[str, dict[str, Any]] = {}
    for _before, holders in moved.values():
        for holder in holders:
            if may_hold(holder.facts, resource):
                entry = entry_to_json(holder.facts, holder.member_id)
                now.update((badge, entry) for badge in holder.badges)
    upsert = {badge: entry for badge, entry in now.items() if entries.get(badge) != entry}
    return upsert, sorted(held - now.keys())


def apply_changes(
    entries: Mapping[str, Mapping[str, Any]],
    grants_digest: str,
    upsert: Mapping[str, Mapping[str, Any]],
    removed: list[str],
) -> tuple[dict[str, Mapping[str, Any]], str]:
    """`entries` and their digest once `upsert` and `removed` are applied (a copy)."""
    after = dict(entries)
    digest = GrantsDigest(grants_digest)
    for badge in [*removed, *upsert]:
        if badge in after:
            digest.remove(badge, entry_bytes(after.pop(badge)))
    for badge, entry in upsert.items():
        after[badge] = entry
        digest.add(badge, entry_bytes(entry))
    return after, digest.hexdigest()
