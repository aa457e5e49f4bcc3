"""Site -> agents: each agent's grants compiled from the site database, signed, versioned.

One entry per badge hash of the people the agent may ever grant (`sync.audience`:
revoked badges too, so an agent can name the reason), with the holder's memberships
and trainings, plus the agent's resource facts (trainings required, schedule,
enabled). The facts are those the kiosk reads, from the same reader
(`station.access.credential_facts`, all badges in four queries, once for all agents).

A snapshot is rebuilt only when the site database changed (a cheap fingerprint),
and gets a new version only when its content changed: versions are monotonic per
agent and persisted in `sync_cursors`, so a restart never reuses one.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from station.access import credential_facts, resource_facts
from station.config import StationConfig
from station.keystore import KeyStore
from station.protocol import topics
from station.protocol.grant_deltas import make_delta
from station.protocol.grants import entry_to_json, make_snapshot
from station.protocol.signing import canonical
from station.rules import ResourceFacts
from sync.audience import version_digest
from sync.cursors import read_cursor, write_cursor
from sync.grant_cache import HolderCache, Moved, agent_changes, apply_changes, fingerprint
from sync.grant_reading import AgentReading, WholeReading, read_whole

log = logging.getLogger(__name__)

# How long the cache's entries may stand without the whole registry read again (at
# 150,000 badges a reading takes seconds: it waits for changes to settle, never comes
# in front of a delta, and `station sync` makes it in a thread of its own).
RECONCILE_S = 900.0


class _Due(NamedTuple):
    """A version to build whole: its content as a reading brought up to now has it."""

    agent_id: str
    version: int
    read: AgentReading
    entries: Mapping[str, Mapping[str, Any]]
    grants_digest: str
    digest: int


@dataclass(frozen=True)
class Snapshot:
    agent_id: str
    version: int
    topic: str
    payload: bytes | None  # None: sent as a delta, the whole snapshot not built yet
    digest: int
    grants_digest: str = ""  # what the agent's store computes once it holds them
    # The same change as a signed delta from the version before (`grant_deltas`), when
    # this compiler made that one; None after a restart or a version jump.
    delta: bytes | None = None
    entries: Mapping[str, Mapping[str, Any]] = field(default_factory=dict, repr=False)
    resource: ResourceFacts | None = field(default=None, repr=False)

    @property
    def whole(self) -> bytes:
        """The signed snapshot, for a version built whole (`payload` is None until then)."""
        if self.payload is None:
            raise ValueError(f"{self.agent_id} version {self.version}: sent as a delta alone")
        return self.payload


def compile_entries(
    connection: Connection, plan_of: Callable[[str], str] = str
) -> dict[str, dict[str, Any]]:
    """{badge hash: grant entry} for every live badge of a live member.

    `plan_of` maps a membership's plan to the one the site applies (a plan the
    configuration no longer declares becomes the default plan)."""
    entries: dict[str, dict[str, Any]] = {}
    for member_id, facts, badges in credential_facts(connection, plan_of=plan_of):
        entry = entry_to_json(facts, member_id)  # shared by the holder's badges
        for badge_hash in badges:
            entries[badge_hash] = entry
    return entries


def changes(
    before: Mapping[str, Mapping[str, Any]], after: Mapping[str, Mapping[str, Any]]
) -> tuple[dict[str, Mapping[str, Any]], list[str]]:
    """(the entries written or changed, the hashes gone) from `before` to `after`."""
    upsert = {h: e for h, e in after.items() if before.get(h) != e}
    return upsert, [h for h in before if h not in after]


class GrantCompiler:
    """Builds the snapshots to publish, signed with the site key; remembers the last
    one of each agent. The trust list (`station.keystore`) is part of what a snapshot
    carries: revoking a kiosk or rotating a key republishes every snapshot."""

    def __init__(
        self,
        config: StationConfig,
        *,
        keys: KeyStore | None = None,
        wall: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        clock: Callable[[], float] = time.monotonic,
        reconcile_s: float = RECONCILE_S,
    ) -> None:
        self.config = config
        self.keys = keys or KeyStore(config.keys_dir)
        self.wall = wall
        self.clock = clock
        self.reconcile_s = reconcile_s
        self.full_readings = 0  # of the whole registry, since this compiler started
        self._read_at = 0.0
        self.current: dict[str, Snapshot] = {}
        self._fingerprint: tuple[Any, ...] | None = None
        self._floor: dict[str, int] = {}
        self._cache: HolderCache | None = None

    def _delta(
        self,
        agent_id: str,
        version: int,
        resource: ResourceFacts,
        entries: Mapping[str, Mapping[str, Any]],
        grants_digest: str,
        now: dt.datetime,
    ) -> bytes | None:
        """The signed change from the snapshot this compiler made just before, if any
        and if it is a change of a few entries (most of them: the snapshot says it)."""
        previous = self.current.get(agent_id)
        if previous is None or previous.version != version - 1:
            return None
        upsert, removed = changes(previous.entries, entries)
        if len(upsert) + len(removed) > len(entries) // 2 + 1:
            return None
        return self._sign_delta(previous, version, resource, upsert, removed, grants_digest, now)

    def _sign_delta(
        self,
        previous: Snapshot,
        version: int,
        resource: ResourceFacts,
        upsert: Mapping[str, Mapping[str, Any]],
        removed: list[str],
        grants_digest: str,
        now: dt.datetime,
    ) -> bytes:
        return make_delta(
            self.config.site.id,
            previous.agent_id,
            previous.version,
            version,
            resource,
            upsert,
            removed,
            grants_digest,
            self.keys.trust_at(now),
            self.keys.signer(now),
            now,
        )

    def raise_floor(self, agent_id: str, version: int) -> None:
        """An agent holds `version` (e.g. the site database was restored): go past it."""
        if agent_id in self.config.agents and version > self._floor.get(agent_id, 0):
            self._floor[agent_id] = version
            self._fingerprint = None

    @property
    def unsettled(self) -> list[str]:
        """Agents whose last version went out as a delta alone: its whole snapshot, the
        one published retained, is still to be built (`refresh(settle=True)`)."""
        return [agent_id for agent_id, snap in self.current.items() if snap.payload is None]

    def refresh(
        self,
        site_engine: Engine,
        *,
        force: bool = False,
        settle: bool = False,
        reconcile: bool = True,
        on_snapshot: Callable[[Snapshot], None] | None = None,
    ) -> list[Snapshot]:
        """Snapshots whose content changed since last published (all on the first call).

        A change of a few members' rows is compiled from those rows alone
        (`sync.grant_cache`) and goes out as a delta with no snapshot built
        (`Snapshot.payload` None). `settle` builds the whole snapshot of each such
        version from the entries the deltas made, reading nothing; once RECONCILE_S
        have passed since the last full reading, it reads the whole registry instead
        (the truth: a change the cache missed shows as a new version), unless
        `reconcile` is False (the sync service reads in a thread of its own:
        `read_whole`, `adopt`). `force` reads the whole registry.
        `on_snapshot` gets each one as soon as it is built, so the first agent's
        snapshot can be on its way while the next is signed.
        """
        now = self.wall()
        with site_engine.connect() as connection:
            marker = (*fingerprint(connection), self.keys.marker(now))
        if marker == self._fingerprint and not force and not (settle and self.unsettled):
            return []
        changed = None
        if not force and self._fingerprint is not None:
            if not settle:
                changed = self._refresh_changed(site_engine, marker, now)
            elif marker == self._fingerprint and not (reconcile and self.reconcile_due):
                changed = self._settle_cached(now)
        if changed is None:
            reading = self.read_whole(site_engine)
            full = self.adopt(site_engine, reading, on_snapshot, as_read=True)
            assert full is not None  # as_read: never declined
            return full
        if on_snapshot is not None:
            for snapshot in changed:
                on_snapshot(snapshot)
        self._fingerprint = marker
        return changed

    def _next_version(self, connection: Connection, agent_id: str, digest: int) -> int | None:
        """The version for content `digest`: the one in force if it has not changed
        (None if there is nothing to build), else a new one, committed first: an agent
        must never hold a version the site database does not know it gave out."""
        version = read_cursor(connection, f"grants.version.{agent_id}")
        stored = read_cursor(connection, f"grants.digest.{agent_id}")
        floor = self._floor.get(agent_id, 0)
        current = self.current.get(agent_id)
        if digest == stored and version > floor:
            return version if current is None or current.payload is None else None
        version = max(version, floor) + 1
        write_cursor(connection, version, f"grants.version.{agent_id}")
        write_cursor(connection, digest, f"grants.digest.{agent_id}")
        return version

    def _refresh_changed(
        self, site_engine: Engine, marker: tuple[Any, ...], now: dt.datetime
    ) -> list[Snapshot] | None:
        """The deltas of the members whose rows changed; None if the cache cannot tell."""
        cache = self._cache
        if cache is None or any(agent_id not in self.current for agent_id in self.config.agents):
            return None
        salt = self._trust_digest(now)
        changed: list[Snapshot] = []
        with Session(site_engine) as session, session.begin():
            connection = session.connection()
            members = cache.changed_members(connection, marker)
            if members is None:
                return None
            moved = cache.reread(connection, members, self.config.plan_of)
            for agent_id, agent in self.config.agents.items():
                resource = resource_facts(session, self.config, agent.resource)
                previous = self.current[agent_id]
                upsert, removed = agent_changes(moved, resource, previous.entries)
                entries, grants_digest = apply_changes(
                    previous.entries, previous.grants_digest, upsert, removed
                )
                digest = version_digest(grants_digest, salt, resource)
                version = self._next_version(connection, agent_id, digest)
                if version is None or version == previous.version:
                    continue
                delta = self._sign_delta(
                    previous, version, resource, upsert, removed, grants_digest, now
                )
                topic = topics.agent(self.config.site.id, agent_id, topics.GRANTS)
                snapshot = Snapshot(
                    agent_id, version, topic, None, digest, grants_digest, delta, entries, resource
                )
                changed.append(snapshot)
                log.info(
                    "grants: %s version %d as a delta (%d members re-read, %d written, "
                    "%d removed, %d bytes)",
                    agent_id,
                    version,
                    len(members),
                    len(upsert),
                    len(removed),
                    len(delta),
                )
        cache.keep(moved, marker)  # committed: what the cache and `current` may now say
        self.current.update((snapshot.agent_id, snapshot) for snapshot in changed)
        return changed

    @property
    def reconcile_due(self) -> bool:
        """Whether the whole registry is to be read again (RECONCILE_S since the last)."""
        return self._cache is None or self.clock() - self._read_at >= self.reconcile_s

    def _settle_cached(self, now: dt.datetime) -> list[Snapshot] | None:
        """The whole snapshots of the versions sent as deltas alone, signed from the
        entries those deltas made (what the agent holds once it applied them)."""
        if any(self.current[agent_id].resource is None for agent_id in self.unsettled):
            return None
        trust, signer = self.keys.trust_at(now), self.keys.signer(now)
        settled: list[Snapshot] = []
        for agent_id in self.unsettled:
            snapshot = self.current[agent_id]
            assert snapshot.resource is not None  # checked above, for mypy
            payload = make_snapshot(
                self.config.site.id,
                agent_id,
                snapshot.version,
                snapshot.resource,
                snapshot.entries,
                trust,
                signer,
                now,
            )
            settled.append(replace(snapshot, payload=payload, delta=None))
            log.info(
                "grants: %s version %d settled (%d badges, %d bytes)",
                agent_id,
                snapshot.version,
                len(snapshot.entries),
                len(payload),
            )
        self.current.update((snapshot.agent_id, snapshot) for snapshot in settled)
        return settled

    def _trust_digest(self, now: dt.datetime) -> bytes:
        # The signer and what it announces are content: a rotation gives new versions.
        return canonical([self.keys.trust_at(now).to_json(), self.keys.signer(now).key_id])

    def read_whole(self, site_engine: Engine) -> WholeReading:
        """Every holder and each agent's entries (`sync.grant_reading`): seconds at
        150,000 badges, and safe in another thread; `adopt` takes it in."""
        return read_whole(self.config, self.keys, site_engine, self.wall(), self.clock())

    def adopt(
        self,
        site_engine: Engine,
        reading: WholeReading,
        on_snapshot: Callable[[Snapshot], None] | None = None,
        *,
        as_read: bool = False,
    ) -> list[Snapshot] | None:
        """Take a whole reading as the truth, brought up to now: the members whose rows
        changed since it began are read again. The snapshots of the agents whose
        content then differs from their version in force (a change the cache missed),
        or that have none yet, are built. None if it cannot be brought up to now (a
        row deleted outright, a resource or the keys changed since): read again; with
        `as_read`, it is taken as of its start and the next refresh sees the rest."""
        now = self.wall()
        cache = reading.cache
        salt = self._trust_digest(now)
        due: list[_Due] = []
        with Session(site_engine) as session, session.begin():
            connection = session.connection()
            marker: tuple[Any, ...] = (*fingerprint(connection), self.keys.marker(now))
            members = cache.changed_members(connection, marker)
            if members is None and not as_read:
                log.info("grants: a whole reading outdated by a change it cannot follow")
                return None
            moved: Moved = {}
            if members is None:
                marker = reading.marker
            else:
                moved = cache.reread(connection, members, self.config.plan_of)
            for agent_id, read in reading.agents.items():
                upsert, removed = agent_changes(moved, read.resource, read.entries)
                entries, grants_digest = (
                    apply_changes(read.entries, read.grants_digest, upsert, removed)
                    if upsert or removed
                    else (read.entries, read.grants_digest)
                )
                digest = version_digest(grants_digest, salt, read.resource)
                version = self._next_version(connection, agent_id, digest)
                if version is not None:
                    due.append(_Due(agent_id, version, read, entries, grants_digest, digest))
        cache.keep(moved, marker)
        self._cache, self._fingerprint = cache, marker
        self.full_readings += 1
        self._read_at = reading.started
        return self._build(due, reading.badges, now, on_snapshot)

    def _build(
        self,
        due: list[_Due],
        badges: int,
        now: dt.datetime,
        on_snapshot: Callable[[Snapshot], None] | None,
    ) -> list[Snapshot]:
        trust, signer = self.keys.trust_at(now), self.keys.signer(now)
        changed: list[Snapshot] = []
        for agent_id, version, read, entries, grants_digest, digest in due:
            payload = make_snapshot(
                self.config.site.id, agent_id, version, read.resource, entries, trust, signer, now
            )
            delta = self._delta(agent_id, version, read.resource, entries, grants_digest, now)
            snapshot = Snapshot(
                agent_id,
                version,
                topics.agent(self.config.site.id, agent_id, topics.GRANTS),
                payload,
                digest,
                grants_digest,
                delta,
                entries,
                read.resource,
            )
            self.current[agent_id] = snapshot
            changed.append(snapshot)
            if on_snapshot is not None:
                on_snapshot(snapshot)
            log.info(
                "grants: %s version %d (%d of %d badges, %d bytes; delta %s bytes)",
                agent_id,
                version,
                len(entries),
                badges,
                len(payload),
                "no" if delta is None else len(delta),
            )
        return changed
