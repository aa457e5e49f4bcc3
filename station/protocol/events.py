"""Agent events, acknowledgements and status messages (agent <-> site).

Events travel unsigned (the broker's per-device ACL says who may publish where)
but are validated field by field; sync stores them idempotently by id and then
acknowledges them, which is what lets an agent delete them from its outbox.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from station.protocol.errors import ProtocolError
from station.protocol.signing import MAX_DEPTH, check_depth, parse_json
from station.protocol.vocabulary import EventType, Refusal


@dataclass(frozen=True)
class AgentEvent:
    id: uuid.UUID
    agent: str
    resource: str
    type: EventType
    at: dt.datetime
    reason: str | None = None
    credential_hash: str | None = None
    member: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "agent": self.agent,
            "resource": self.resource,
            "type": self.type,
            "at": self.at.isoformat(),
            "reason": self.reason,
            "credential_hash": self.credential_hash,
            "member": self.member,
            "data": self.data,
        }

    def encode(self) -> bytes:
        return json.dumps(self.to_json(), separators=(",", ":"), ensure_ascii=False).encode()

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AgentEvent:
        # Limits are the columns' (station.db.models.AccessEvent): what passes here
        # never fails later in a database write.
        try:
            at = dt.datetime.fromisoformat(data["at"])
            if at.tzinfo is None:
                raise ValueError("'at' needs an offset")
            event = cls(
                id=uuid.UUID(str(data["id"])),
                agent=_text(data["agent"], 64),
                resource=_text(data["resource"], 64),
                type=_event_type(data["type"]),
                at=at.astimezone(dt.UTC),
                reason=_optional_text(data.get("reason"), 40),
                credential_hash=_optional_text(data.get("credential_hash"), 64),
                member=_optional_text(data.get("member"), 64),
                data=data.get("data") or {},
            )
        except UnknownEventType as exc:
            raise ProtocolError(Refusal.MALFORMED, f"unknown event type {exc.args[0]!r}") from None
        except (KeyError, TypeError, ValueError, AttributeError, OverflowError) as exc:
            raise ProtocolError(Refusal.MALFORMED, f"bad event ({exc})") from None
        if not isinstance(event.data, dict):
            raise ProtocolError(Refusal.MALFORMED, "'data' must be an object")
        return event

    @classmethod
    def decode(cls, payload: bytes) -> AgentEvent:
        return cls.from_json(parse_json(payload))


# A batch of events in one message: an outbox drained after an outage goes at the speed
# of the wire, not at one MQTT round trip per event (docs/protocol.md, "Batches").
BATCH_KEY = "events"
_BATCH_HEAD, _BATCH_TAIL = b'{"' + BATCH_KEY.encode() + b'":[', b"]}"
BATCH_OVERHEAD = len(_BATCH_HEAD) + len(_BATCH_TAIL)


def encode_batch(payloads: list[bytes]) -> bytes:
    """Encoded events (`AgentEvent.encode`) as one message, in their order; one event
    alone goes as itself, as every agent sent it before batches."""
    if len(payloads) == 1:
        return payloads[0]
    return _BATCH_HEAD + b",".join(payloads) + _BATCH_TAIL


def decode_events(payload: bytes) -> list[dict[str, Any]]:
    """The events a message carries, as JSON objects in their order (one event or a
    batch), each still to be read by `AgentEvent.from_json`; `ProtocolError` if the
    message itself is unreadable."""
    body = parse_json(payload, walk=False)
    events = body.get(BATCH_KEY) if BATCH_KEY in body else [body]
    if (BATCH_KEY in body and len(body) != 1) or not isinstance(events, list) or not events:
        raise ProtocolError(Refusal.MALFORMED, "a batch is {'events': [event, ...]}")
    for event in events:
        if not isinstance(event, dict):
            raise ProtocolError(Refusal.MALFORMED, "a batch holds event objects only")
        # Only `data` may nest (`from_json` takes every other field as a scalar): the
        # depth walk is for the containers in it, as deep as in an event alone.
        data = event.get("data")
        if isinstance(data, dict) and any(isinstance(v, dict | list) for v in data.values()):
            check_depth(data, MAX_DEPTH - 1)
    return events


# An ack's ids fit one message (MAX_MESSAGE_BYTES): 1,500 of 39 bytes is 58.5 KB.
MAX_ACK_IDS = 1500


def encode_ack(ids: list[str]) -> bytes:
    return json.dumps({"ids": ids}, separators=(",", ":")).encode()


def encode_acks(ids: list[str]) -> list[bytes]:
    """``ids`` in as few ack messages as fit the protocol's message limit."""
    return [encode_ack(ids[i : i + MAX_ACK_IDS]) for i in range(0, len(ids), MAX_ACK_IDS)]


def decode_ack(payload: bytes) -> list[str]:
    body = parse_json(payload)
    ids = body.get("ids")
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise ProtocolError(Refusal.MALFORMED, "an ack is {'ids': [string, ...]}")
    return ids


class UnknownEventType(ValueError):
    pass


def _event_type(value: Any) -> EventType:
    text = _text(value, 40)
    try:
        return EventType(text)
    except ValueError:
        raise UnknownEventType(text) from None


def _text(value: Any, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit or "\x00" in value:
        raise ValueError(f"expected a string of 1 to {limit} characters, got {value!r:.80}")
    return value


def _optional_text(value: Any, limit: int) -> str | None:
    return None if value is None else _text(value, limit)
