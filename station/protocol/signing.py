"""The protocol's JSON on the wire: canonical bytes (what signatures cover) and the
limits every message read from the bus is held to (size, depth, numbers, text).

Signatures themselves are Ed25519 (`station.protocol.keys`).
"""

from __future__ import annotations

import json
import math
from typing import Any

from station.protocol.errors import ProtocolError
from station.protocol.vocabulary import Refusal

# Every message but a grant snapshot is a few hundred bytes: past 64 KiB it is refused
# unread. A snapshot is about 200 bytes a badge: 64 MiB holds some 300,000 badges,
# well under mosquitto's default message_size_limit (256 MiB, MQTT's maximum).
MAX_MESSAGE_BYTES = 64 * 1024
MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024
# No message of the protocol nests deeper than about 8 (a snapshot's schedules).
MAX_DEPTH = 32
MAX_INT = 2**63  # no column, and no JSON reader of another language, holds more


def canonical(body: Any) -> bytes:
    return json.dumps(
        body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def parse_json(
    payload: bytes, *, max_bytes: int = MAX_MESSAGE_BYTES, walk: bool = True
) -> dict[str, Any]:
    """A JSON object from the wire, or `ProtocolError('malformed')`: too large, not
    UTF-8, not JSON, not an object, nested too deep, or with a number out of range.

    ``walk=False`` leaves the depth to the caller (`check_depth` on what may nest): a
    batch of a thousand events of known shape need not be walked node by node."""
    if len(payload) > max_bytes:
        raise ProtocolError(Refusal.MALFORMED, f"message of {len(payload)} bytes is too large")
    try:
        # NaN, Infinity and 1e999 are not JSON numbers: refused here, so canonical()
        # never meets them; nor is an integer past 2**63 anything the protocol sends.
        value = json.loads(
            payload, parse_constant=_not_json, parse_float=_finite, parse_int=_bounded
        )
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(Refusal.MALFORMED, f"not JSON ({exc.__class__.__name__})") from None
    if not isinstance(value, dict):
        raise ProtocolError(Refusal.MALFORMED, "expected a JSON object")
    # A snapshot is checked key by key by its reader; walking its million nodes
    # again here would double the time a Pi takes to accept it.
    if walk and len(payload) <= MAX_MESSAGE_BYTES:
        check_depth(value)
    # A lone surrogate (JSON "\udc80") is valid JSON but no text: SQLite cannot store it
    # and PostgreSQL refuses it, so one would fail the whole batch it came in. Only an
    # escape makes one, and our encoders write none: the walk runs only then.
    if b"\\ud" in payload.lower() and _has_lone_surrogate(value):
        raise ProtocolError(Refusal.MALFORMED, "a string holds a lone surrogate (not text)")
    return value


def check_depth(value: object, limit: int = MAX_DEPTH) -> None:
    """`ProtocolError('malformed')` if containers nest in `value` deeper than `limit`."""
    if _depth(value) > limit:
        raise ProtocolError(Refusal.MALFORMED, f"nested deeper than {limit}")


def _not_json(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text[:20]} is out of range")
    return number


def _bounded(text: str) -> int:
    # Past 4300 digits int() itself refuses (Python's guard against slow parsing).
    number = int(text)
    if not -MAX_INT <= number < MAX_INT:
        raise ValueError(f"integer of {len(text)} digits is out of range")
    return number


def _has_lone_surrogate(value: object) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return False


def _depth(value: object) -> int:
    """How deep containers nest in `value` (iterative: no recursion to exhaust)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest
