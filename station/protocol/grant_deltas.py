"""Grant deltas: the entries added, changed and removed since version `base`, signed.

A delta names the agent, the version it applies to (`base`), the version it makes
(`version`), the resource and trust in force from then on (small: sent whole), the
entries to write (`upsert`, the whole entry) and the hashes to drop (`remove`), and
the digest of the grants once applied (`station.protocol.grant_digest`). It is signed
like a snapshot (`sign_envelope`, the site key). The snapshot stays what an agent
starts from and comes back to: a delta that does not follow the version in force
exactly (`gap`, `replayed`), or whose result is not its digest (`digest_mismatch`,
checked by the agent's store), is refused and the agent waits for a snapshot.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from station.protocol.errors import ProtocolError
from station.protocol.grants import entry_from_json, resource_from_json, resource_to_json
from station.protocol.keys import Keyring, SigningKey, open_envelope, sign_envelope
from station.protocol.signing import MAX_SNAPSHOT_BYTES
from station.protocol.trust import SiteTrust
from station.protocol.vocabulary import Refusal
from station.rules import ResourceFacts

KIND = "grants_delta"
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def make_delta(
    site_id: str,
    agent_id: str,
    base: int,
    version: int,
    resource: ResourceFacts,
    upsert: Mapping[str, Mapping[str, Any]],
    remove: list[str],
    digest: str,
    trust: SiteTrust,
    key: SigningKey,
    issued_at: dt.datetime,
) -> bytes:
    body = {
        "kind": KIND,
        "site": site_id,
        "agent": agent_id,
        "base": base,
        "version": version,
        "issued_at": issued_at.isoformat(),
        "resource": resource_to_json(resource),
        "upsert": dict(upsert),
        "remove": sorted(remove),
        "digest": digest,
        "trust": trust.to_json(),
    }
    return sign_envelope(body, key)


def read_delta(
    payload: bytes,
    agent_id: str,
    site_keys: Keyring,
    now: dt.datetime,
    current_version: int,
    *,
    site_id: str | None = None,
) -> dict[str, Any]:
    """A verified delta body that applies to `current_version`, signed by a site key
    valid `now` (and, given `site_id`, for that site), else `ProtocolError`."""
    body, signer = open_envelope(payload, site_keys, max_bytes=MAX_SNAPSHOT_BYTES)
    signer.check_valid_at(now)
    if body.get("kind") != KIND:
        raise ProtocolError(Refusal.MALFORMED, "not a grants delta")
    base, version = _positive(body, "base"), _positive(body, "version")
    if version <= base:
        raise ProtocolError(Refusal.MALFORMED, f"version {version} does not follow {base}")
    if body.get("agent") != agent_id:
        raise ProtocolError(Refusal.WRONG_AGENT, f"delta for {body.get('agent')!r}")
    if site_id is not None and body.get("site") != site_id:
        raise ProtocolError(Refusal.WRONG_AGENT, f"delta for site {body.get('site')!r}")
    if version <= current_version:
        raise ProtocolError(Refusal.REPLAYED, f"version {version} is already in force")
    if base != current_version:
        raise ProtocolError(Refusal.GAP, f"delta from {base}, version {current_version} in force")
    _check_changes(body)
    resource_from_json(body.get("resource"))
    SiteTrust.from_json(body.get("trust"))
    return body


def _positive(body: dict[str, Any], name: str) -> int:
    value = body.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ProtocolError(Refusal.MALFORMED, f"{name} must be a positive integer")
    return value


def _check_changes(body: dict[str, Any]) -> None:
    upsert, remove, digest = body.get("upsert"), body.get("remove"), body.get("digest")
    if not isinstance(upsert, dict):
        raise ProtocolError(Refusal.MALFORMED, "upsert must be an object")
    if not isinstance(remove, list) or not all(isinstance(h, str) for h in remove):
        raise ProtocolError(Refusal.MALFORMED, "remove must be a list of hashes")
    if set(remove) & set(upsert):
        raise ProtocolError(Refusal.MALFORMED, "a hash both written and removed")
    if not isinstance(digest, str) or not _HEX_DIGEST.fullmatch(digest):
        raise ProtocolError(Refusal.MALFORMED, "digest must be 64 hex digits")
    for entry in upsert.values():
        entry_from_json(entry)
