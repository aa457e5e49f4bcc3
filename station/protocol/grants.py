"""Grant snapshots: what an agent needs to decide alone, as signed JSON.

A snapshot holds, for one agent, its resource's facts, one entry per keyed
credential hash (revoked ones included, so the reason can be named; no names) and
the keys the agent trusts (`station.protocol.trust`). The site key signs it (Ed25519).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from station.protocol.errors import ProtocolError
from station.protocol.keys import Keyring, SigningKey, open_envelope, sign_envelope
from station.protocol.signing import MAX_SNAPSHOT_BYTES
from station.protocol.trust import SiteTrust
from station.protocol.vocabulary import Refusal
from station.rules import CredentialFacts, MembershipSpan, ResourceFacts
from station.schedule import Schedule


def entry_to_json(facts: CredentialFacts, member_id: str | None = None) -> dict[str, Any]:
    entry = {
        "revoked": facts.revoked,
        "staff": facts.staff,
        "member": member_id,
        "memberships": [
            [m.valid_from.isoformat(), m.valid_until.isoformat() if m.valid_until else None, m.plan]
            for m in facts.memberships
        ],
        "trainings": {
            code: expiry.isoformat() if expiry else None for code, expiry in facts.trainings.items()
        },
    }
    if facts.secure_only:  # written only when set: most entries stay as they were
        entry["secure_only"] = True
    return entry


def entry_from_json(data: Any) -> CredentialFacts:
    if not isinstance(data, dict):
        raise ProtocolError(Refusal.MALFORMED, "a grant entry must be an object")
    try:
        spans = tuple(_span(item) for item in data["memberships"])
        trainings = {
            str(code): dt.datetime.fromisoformat(expiry) if expiry else None
            for code, expiry in data["trainings"].items()
        }
        return CredentialFacts(
            revoked=bool(data["revoked"]),
            staff=bool(data["staff"]),
            memberships=spans,
            trainings=trainings,
            secure_only=_flag(data.get("secure_only", False)),  # absent: before issue 14
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ProtocolError(Refusal.MALFORMED, f"bad grant entry ({exc})") from None


def _flag(value: Any) -> bool:
    """A boolean of the snapshot; anything else is malformed (a typo must not relax)."""
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _span(item: Any) -> MembershipSpan:
    """[from, until] (before plans) or [from, until, plan]."""
    start, end, *rest = item
    plan = rest[0] if rest else ""
    if len(rest) > 1 or not isinstance(plan, str):
        raise ValueError("a membership is [from, until, plan]")
    return MembershipSpan(
        dt.date.fromisoformat(start), dt.date.fromisoformat(end) if end else None, plan
    )


def resource_to_json(resource: ResourceFacts) -> dict[str, Any]:
    windows = resource.plan_windows
    return {
        "code": resource.code,
        "required_trainings": list(resource.required_trainings),
        "schedule": resource.schedule.to_json(),
        "enabled": resource.enabled,
        "out_of_order": resource.out_of_order,
        "plan_windows": None
        if windows is None
        else {plan: window.to_json() for plan, window in sorted(windows.items())},
        "staff_window": resource.staff_window.to_json(),
        "staff_secure": resource.staff_secure,
        "free_access": resource.free_access.to_json() if resource.free_access else None,
        "require_secure": resource.require_secure,
        "secure_plans": sorted(resource.secure_plans),
    }


def resource_from_json(data: Any) -> ResourceFacts:
    try:
        windows = data.get("plan_windows")
        staff = data.get("staff_window")
        free = data.get("free_access")
        return ResourceFacts(
            code=str(data["code"]),
            required_trainings=tuple(data["required_trainings"]),
            schedule=Schedule.from_json(data["schedule"]),
            enabled=bool(data["enabled"]),
            out_of_order=bool(data["out_of_order"]),
            plan_windows=None
            if windows is None
            else {str(plan): Schedule.from_json(w) for plan, w in windows.items()},
            staff_window=Schedule.open_always() if staff is None else Schedule.from_json(staff),
            staff_secure=_flag(data.get("staff_secure", False)),
            free_access=None if free is None else Schedule.from_json(free),
            # Absent from snapshots made before secure badges: nothing required.
            require_secure=_flag(data.get("require_secure", False)),
            secure_plans=frozenset(_plan_codes(data.get("secure_plans", []))),
        )
    except (KeyError, TypeError, ValueError, AttributeError, AssertionError, LookupError) as exc:
        raise ProtocolError(Refusal.MALFORMED, f"bad resource ({exc})") from None


def _plan_codes(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(code, str) for code in value):
        raise TypeError(f"secure_plans must be a list of plan codes, got {value!r}")
    return value


def make_snapshot(
    site_id: str,
    agent_id: str,
    version: int,
    resource: ResourceFacts,
    entries: Mapping[str, Mapping[str, Any]],
    trust: SiteTrust,
    key: SigningKey,
    issued_at: dt.datetime | None = None,
) -> bytes:
    body = {
        "site": site_id,
        "agent": agent_id,
        "version": version,
        "issued_at": (issued_at or dt.datetime.now(dt.UTC)).isoformat(),
        "resource": resource_to_json(resource),
        "grants": entries,
        "trust": trust.to_json(),
    }
    return sign_envelope(body, key)


# The end of a signed snapshot (`sign_envelope` of a canonical body, its keys sorted:
# "version" comes last).
_SNAPSHOT_TAIL = re.compile(
    rb'"version":([1-9][0-9]{0,17})\},"key":"[^"]{1,200}","sig":"[^"]{1,200}"\}$'
)


def announced_version(payload: bytes) -> int | None:
    """The version a snapshot says it carries, read from its last bytes, unverified.

    Only to recognise the version in force signed again (the retained snapshot
    built once changes settle, after the agent applied its deltas): checking and
    parsing 30 MB to find it holds the agent's loop for seconds. Never a reason to
    apply anything; None when the payload does not end as a snapshot does."""
    match = _SNAPSHOT_TAIL.search(payload[-512:])
    return None if match is None else int(match.group(1))


def read_snapshot(
    payload: bytes,
    agent_id: str,
    site_keys: Keyring,
    now: dt.datetime,
    current_version: int,
    *,
    site_id: str | None = None,
) -> dict[str, Any]:
    """A verified snapshot body newer than `current_version`, signed by a site key valid
    `now` (and, given `site_id`, for that site), else `ProtocolError`."""
    body, signer = open_envelope(payload, site_keys, max_bytes=MAX_SNAPSHOT_BYTES)
    signer.check_valid_at(now)
    version = body.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise ProtocolError(Refusal.MALFORMED, "version must be a positive integer")
    if body.get("agent") != agent_id:
        raise ProtocolError(Refusal.WRONG_AGENT, f"snapshot for {body.get('agent')!r}")
    if site_id is not None and body.get("site") != site_id:
        raise ProtocolError(Refusal.WRONG_AGENT, f"snapshot for site {body.get('site')!r}")
    if version <= current_version:
        raise ProtocolError(Refusal.STALE, f"version {version} is not newer than {current_version}")
    grants = body.get("grants")
    if not isinstance(grants, dict):
        raise ProtocolError(Refusal.MALFORMED, "grants must be an object")
    resource_from_json(body.get("resource"))
    SiteTrust.from_json(body.get("trust"))
    for entry in grants.values():
        entry_from_json(entry)
    return body
