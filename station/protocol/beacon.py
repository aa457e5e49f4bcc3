"""The site's signed time beacon: how an agent without a real-time clock checks its own.

Sync sends each agent, every few seconds and on no retained topic, its own time
signed with the site key. A stale beacon is useless to an attacker: an agent takes
only beacons newer than the last one (`door_agent.clock`). The signing key's window
is checked at the beacon's own time, not the agent's: the agent's clock is what the
beacon is there to set.
"""

from __future__ import annotations

import datetime as dt

from station.protocol.errors import ProtocolError
from station.protocol.keys import Keyring, SigningKey, open_envelope, sign_envelope
from station.protocol.vocabulary import Refusal


def make_beacon(agent_id: str, at: dt.datetime, key: SigningKey) -> bytes:
    return sign_envelope({"agent": agent_id, "time": at.astimezone(dt.UTC).isoformat()}, key)


def read_beacon(payload: bytes, agent_id: str, site_keys: Keyring) -> dt.datetime:
    """The beacon's time (aware, UTC), else `ProtocolError`."""
    body, signer = open_envelope(payload, site_keys)
    if body.get("agent") != agent_id:
        raise ProtocolError(Refusal.WRONG_AGENT, f"beacon for {body.get('agent')!r}")
    text = body.get("time")
    try:
        at = dt.datetime.fromisoformat(text) if isinstance(text, str) else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise ProtocolError(Refusal.MALFORMED, "time must be an aware ISO 8601 datetime")
    try:
        at = at.astimezone(dt.UTC)
    except OverflowError:
        raise ProtocolError(Refusal.MALFORMED, "time out of range") from None
    signer.check_valid_at(at)
    return at
