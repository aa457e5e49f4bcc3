"""The digest of an agent's grants: what the site and the agent both compute, to see
that the agent's cache is exactly what the site meant it to hold.

A sum, modulo 2**256, of one SHA-256 per entry (the badge hash and the entry's
canonical JSON): a set's digest whatever the order, and updated in O(1) per entry
added, changed or removed, so that an agent applying a delta to 150,000 entries
checks the result without reading them all again. It guards against mistakes (a
lost delta, a bug on either side), not against forgery: deltas and snapshots are
signed (`station.protocol.keys`), and the digest travels inside what is signed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from typing import Any

from station.protocol.signing import canonical

MODULUS = 1 << 256
EMPTY = f"{0:064x}"


def entry_bytes(entry: Mapping[str, Any]) -> bytes:
    """An entry as both sides hash it (and as the agent stores it)."""
    return canonical(entry)


def term(badge_hash: str, encoded: bytes) -> int:
    return int.from_bytes(hashlib.sha256(badge_hash.encode() + b"\n" + encoded).digest())


class GrantsDigest:
    """The running digest of a set of (badge hash, encoded entry)."""

    def __init__(self, hexdigest: str = EMPTY) -> None:
        self.value = int(hexdigest, 16)

    def add(self, badge_hash: str, encoded: bytes) -> None:
        self.value = (self.value + term(badge_hash, encoded)) % MODULUS

    def remove(self, badge_hash: str, encoded: bytes) -> None:
        self.value = (self.value - term(badge_hash, encoded)) % MODULUS

    def hexdigest(self) -> str:
        return f"{self.value:064x}"


def digest_of_encoded(rows: Iterable[tuple[str, bytes]]) -> str:
    total = sum(term(badge_hash, encoded) for badge_hash, encoded in rows)
    return f"{total % MODULUS:064x}"


def digest_of(entries: Mapping[str, Mapping[str, Any]]) -> str:
    """The digest of {badge hash: entry}; an entry shared by a holder's badges is
    encoded once."""
    encoded: dict[int, bytes] = {}
    rows = []
    for badge_hash, entry in entries.items():
        key = id(entry)
        if key not in encoded:
            encoded[key] = entry_bytes(entry)
        rows.append((badge_hash, encoded[key]))
    return digest_of_encoded(rows)
