"""The agent's store, one SQLite file: the grant cache (the last good signed
snapshot, and decisions from it) and the agent's own durable state (the mode that
survives a restart, the open machine use, `door_agent.journal`).

A snapshot replaces the previous one in one transaction, so a crash leaves
either the old or the new one, never a mix; so does a delta, applied only to the
version it names and only if the result is its digest. Lookups go by keyed credential
hash; the decision is `station.rules.decide`, the same function the site uses.
Any failure on the decision path denies with INTERNAL_ERROR: never opens.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from door_agent.errors import StoreError
from door_agent.sqlite import SqliteFile
from station.protocol.errors import ProtocolError
from station.protocol.grant_digest import GrantsDigest, digest_of_encoded, entry_bytes
from station.protocol.grants import entry_from_json, resource_from_json
from station.protocol.trust import SiteTrust
from station.protocol.vocabulary import Refusal
from station.rules import UID, CredentialFacts, Decision, Presented, Reason, ResourceFacts, decide

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS grants (hash TEXT PRIMARY KEY, entry TEXT NOT NULL);
"""
NO_GRANTS = "no grant snapshot received yet"  # the detail of every denial until then
GRANTS_DIGEST = "grants_digest"  # the meta key of the digest of the grants in force


@dataclass(frozen=True, slots=True)
class Lookup:
    decision: Decision
    member: str | None = None
    staff: bool = False


class AgentStore(SqliteFile):
    closed_error = StoreError
    name = "the agent store"

    def __init__(self, path: Path) -> None:
        super().__init__(path, durable=False, schema=SCHEMA)
        self.version = 0
        self.resource: ResourceFacts | None = None
        self.trust: SiteTrust | None = None  # the keys the snapshot in force announces
        self.payload_digest = ""
        self._digest: str | None = None  # grants_digest, once computed
        self._load_meta()

    # -- snapshots -------------------------------------------------------------------

    def apply(self, body: dict[str, Any], payload: bytes) -> int:
        """Replace the grants by a verified snapshot body (see grants.read_snapshot).

        Returns the number of entries. The resource is parsed first: a body that
        fails here leaves the previous snapshot in force.
        """
        resource = resource_from_json(body["resource"])
        trust = SiteTrust.from_json(body["trust"])
        version = int(body["version"])
        grants: dict[str, Any] = body["grants"]
        # Canonical, as the site hashes it: the digest of what is stored is the site's.
        rows = [(str(h), entry_bytes(e).decode()) for h, e in grants.items()]
        digest = hashlib.sha256(payload).hexdigest()
        conn = self._db()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("DELETE FROM grants")
            conn.executemany("INSERT INTO grants (hash, entry) VALUES (?, ?)", rows)
            conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [
                    ("version", str(version)),
                    ("digest", digest),
                    ("resource", json.dumps(body["resource"])),
                    ("trust", json.dumps(body["trust"])),
                    ("issued_at", str(body.get("issued_at", ""))),
                ],
            )
            # Computed when first needed (a delta, the status): not on the snapshot's path.
            conn.execute("DELETE FROM meta WHERE key = ?", (GRANTS_DIGEST,))
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StoreError(f"cannot store grants version {version}: {exc}") from exc
        self.version, self.resource, self.payload_digest = version, resource, digest
        self.trust, self._digest = trust, None
        return len(rows)

    def apply_delta(self, body: dict[str, Any]) -> int:
        """Apply a verified delta body (`grant_deltas.read_delta`) in one transaction.

        Returns the number of entries changed. `ProtocolError`: the delta does not
        follow the version in force (`gap`), or the grants it gives are not its digest
        (`digest_mismatch`); nothing is changed then and the agent waits for a snapshot.
        """
        resource = resource_from_json(body["resource"])
        trust = SiteTrust.from_json(body["trust"])
        base, version = int(body["base"]), int(body["version"])
        if self.resource is None or base != self.version:
            raise ProtocolError(Refusal.GAP, f"delta from {base}, version {self.version} in force")
        upsert = {str(h): entry_bytes(e) for h, e in body["upsert"].items()}
        remove = [str(h) for h in body["remove"]]
        conn = self._db()
        try:
            conn.execute("BEGIN IMMEDIATE")
            digest = GrantsDigest(self._grants_digest(conn))
            for badge_hash, stored in self._entries(conn, [*upsert, *remove]):
                digest.remove(badge_hash, stored.encode())
            for badge_hash, encoded in upsert.items():
                digest.add(badge_hash, encoded)
            if digest.hexdigest() != body["digest"]:
                raise ProtocolError(Refusal.DIGEST_MISMATCH, f"delta to version {version}")
            conn.executemany("DELETE FROM grants WHERE hash = ?", [(h,) for h in remove])
            conn.executemany(
                "INSERT OR REPLACE INTO grants (hash, entry) VALUES (?, ?)",
                [(h, e.decode()) for h, e in upsert.items()],
            )
            conn.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [
                    ("version", str(version)),
                    ("digest", ""),  # no snapshot payload is the one in force now
                    ("resource", json.dumps(body["resource"])),
                    ("trust", json.dumps(body["trust"])),
                    ("issued_at", str(body.get("issued_at", ""))),
                    (GRANTS_DIGEST, digest.hexdigest()),
                ],
            )
            conn.execute("COMMIT")
        except ProtocolError:
            conn.execute("ROLLBACK")
            raise
        except sqlite3.Error as exc:
            conn.execute("ROLLBACK")
            raise StoreError(f"cannot apply grants delta to version {version}: {exc}") from exc
        self.version, self.resource, self.trust, self.payload_digest = version, resource, trust, ""
        self._digest = digest.hexdigest()
        return len(upsert) + len(remove)

    @property
    def grants_digest(self) -> str:
        """The digest of the grants in force (`station.protocol.grant_digest`), which
        the site computes too: equal, the cache is exactly what the site meant."""
        if self._digest is None:  # the status asks at every loop turn: kept in memory
            self._digest = self._grants_digest(self._db())
        return self._digest

    def _grants_digest(self, conn: sqlite3.Connection) -> str:
        if self._digest is not None:
            return self._digest
        row = conn.execute("SELECT value FROM meta WHERE key = ?", (GRANTS_DIGEST,)).fetchone()
        if row is not None:
            return str(row[0])
        rows = conn.execute("SELECT hash, entry FROM grants")
        value = digest_of_encoded((h, e.encode()) for h, e in rows)
        conn.execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (GRANTS_DIGEST, value)
        )
        return value

    @staticmethod
    def _entries(conn: sqlite3.Connection, hashes: list[str]) -> list[tuple[str, str]]:
        """The stored entries among `hashes`, by chunks under SQLite's variable limit."""
        found: list[tuple[str, str]] = []
        for start in range(0, len(hashes), 500):
            chunk = hashes[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found += conn.execute(
                f"SELECT hash, entry FROM grants WHERE hash IN ({marks})", chunk
            ).fetchall()
        return found

    def is_current(self, payload: bytes) -> bool:
        """Whether this exact payload is the snapshot in force (a retained redelivery)."""
        return (
            bool(self.payload_digest) and hashlib.sha256(payload).hexdigest() == self.payload_digest
        )

    # -- decisions -------------------------------------------------------------------

    def lookup(self, credential_hash: str) -> tuple[CredentialFacts | None, str | None]:
        row = (
            self._db()
            .execute("SELECT entry FROM grants WHERE hash = ?", (credential_hash,))
            .fetchone()
        )
        if row is None:
            return None, None
        entry = json.loads(row[0])
        member = entry.get("member")
        # Only a plausible id goes into events: the site refuses anything else.
        valid = isinstance(member, str) and 0 < len(member) <= 64
        return entry_from_json(entry), member if valid else None

    def decide(
        self,
        credential_hash: str,
        at: dt.datetime,
        *,
        lockdown: bool = False,
        hours_unknown: bool = False,
        presented: Presented = UID,
    ) -> Lookup:
        """The decision for a presented credential; never raises, denies on any error."""
        try:
            if self.resource is None:
                return Lookup(Decision(False, Reason.INTERNAL_ERROR, NO_GRANTS))
            facts, member = self.lookup(credential_hash)
            decision = decide(
                facts,
                self.resource,
                at,
                lockdown=lockdown,
                hours_unknown=hours_unknown,
                presented=presented,
            )
            return Lookup(decision, member, bool(facts and facts.staff))
        except Exception as exc:  # every failure here must deny, never open
            log.exception("decision failed: denying")
            return Lookup(Decision(False, Reason.INTERNAL_ERROR, type(exc).__name__))

    # -- the agent's own durable state ------------------------------------------------
    # A Blocked or ToCheck machine, a door in lockdown must stay so across a restart:
    # kept next to the grants, in the meta table (which snapshots never clear).

    def recall(self, key: str) -> str | None:
        row = (
            self._db().execute("SELECT value FROM meta WHERE key = ?", (f"state.{key}",)).fetchone()
        )
        return None if row is None else str(row[0])

    def remember(self, key: str, value: str) -> None:
        self._db().execute(
            "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (f"state.{key}", value)
        )

    def _load_meta(self) -> None:
        meta = dict(self._db().execute("SELECT key, value FROM meta").fetchall())
        if "version" not in meta:
            return
        try:
            self.resource = resource_from_json(json.loads(meta["resource"]))
            # A cache from before signatures were Ed25519 has no trust: the anchor serves.
            trust = meta.get("trust")
            self.trust = None if trust is None else SiteTrust.from_json(json.loads(trust))
            self.version = int(meta["version"])
            self.payload_digest = meta.get("digest", "")
        except (ValueError, KeyError, ProtocolError) as exc:  # damaged: start empty, deny all
            log.error("grant cache %s unreadable (%s): waiting for a new snapshot", self.path, exc)
            self.resource, self.trust, self.version = None, None, 0
