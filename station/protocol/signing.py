"""Signed envelopes: HMAC-SHA256 over canonical JSON, with one key per agent.

Each agent's key is derived from the site key, so a stolen agent can only forge
messages for itself, and the site needs no key store beyond its own secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from station.protocol.errors import ProtocolError
from station.protocol.vocabulary import Refusal

ALGORITHM = "HS256"
# A grant snapshot is about 200 bytes a badge: 64 MiB holds some 300,000 badges,
# well under mosquitto's default message_size_limit (256 MiB, MQTT's maximum).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024


def agent_key(site_key: bytes, agent_id: str) -> bytes:
    return hmac.new(site_key, b"station-agent-key:" + agent_id.encode(), hashlib.sha256).digest()


def canonical(body: Any) -> bytes:
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def sign(body: dict[str, Any], key: bytes) -> bytes:
    """The wire form of a signed message (the canonical body is serialised once)."""
    payload = canonical(body)
    signature = hmac.new(key, payload, hashlib.sha256).hexdigest()
    return b'{"alg":"%s","body":%s,"sig":"%s"}' % (ALGORITHM.encode(), payload, signature.encode())


def verify(payload: bytes, key: bytes) -> dict[str, Any]:
    """The body of a signed message, or `ProtocolError` saying why it is refused."""
    envelope = parse_json(payload)
    if set(envelope) != {"alg", "body", "sig"} or envelope["alg"] != ALGORITHM:
        raise ProtocolError(Refusal.MALFORMED, "expected an envelope {alg, body, sig}")
    body, signature = envelope["body"], envelope["sig"]
    if not isinstance(body, dict) or not isinstance(signature, str) or not signature.isascii():
        raise ProtocolError(Refusal.MALFORMED, "body must be an object and sig an ASCII string")
    expected = hmac.new(key, canonical(body), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature):
        raise ProtocolError(Refusal.BAD_SIGNATURE, "signature does not match")
    return body


def parse_json(payload: bytes) -> dict[str, Any]:
    """A JSON object from the wire, or `ProtocolError('malformed')`."""
    if len(payload) > MAX_MESSAGE_BYTES:
        raise ProtocolError(Refusal.MALFORMED, f"message of {len(payload)} bytes is too large")
    try:
        # NaN and Infinity are not JSON: refused here, so canonical() never meets them.
        value = json.loads(payload, parse_constant=_not_json)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(Refusal.MALFORMED, f"not JSON ({exc.__class__.__name__})") from None
    if not isinstance(value, dict):
        raise ProtocolError(Refusal.MALFORMED, "expected a JSON object")
    return value


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
