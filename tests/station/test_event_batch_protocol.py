"""Events in batches and acks in chunks: what goes on the wire fits the protocol's
message limit, keeps the outbox's order, and reads back as it was written."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import pytest

from door_agent.sender import BATCH_BYTES, BATCH_EVENTS, batches
from station.protocol.errors import ProtocolError
from station.protocol.events import (
    MAX_ACK_IDS,
    AgentEvent,
    decode_ack,
    decode_events,
    encode_acks,
    encode_batch,
)
from station.protocol.signing import MAX_MESSAGE_BYTES
from station.protocol.vocabulary import EventType

AT = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.UTC)


def event(n: int, detail: str = "") -> AgentEvent:
    return AgentEvent(
        id=uuid.uuid4(),
        agent="front-door",
        resource="front-door",
        type=EventType.GRANTED,
        at=AT,
        data={"n": n, "detail": detail},
    )


def test_a_batch_reads_back_in_order_and_one_event_goes_as_itself() -> None:
    events = [event(n) for n in range(50)]
    payload = encode_batch([e.encode() for e in events])
    assert [AgentEvent.from_json(b) for b in decode_events(payload)] == events
    alone = encode_batch([events[0].encode()])
    assert alone == events[0].encode()  # what every agent sent before batches
    assert [AgentEvent.from_json(b) for b in decode_events(alone)] == [events[0]]


@pytest.mark.parametrize(
    "payload",
    [
        b'{"events": []}',
        b'{"events": "x"}',
        b'{"events": [1]}',
        b'{"events": [{}], "id": "x"}',
        b"[]",
        b"not json",
    ],
)
def test_a_malformed_batch_is_refused(payload: bytes) -> None:
    with pytest.raises(ProtocolError):
        decode_events(payload)


def test_batches_keep_the_order_and_fit_a_message() -> None:
    big = "x" * 3000
    events = [event(n, big if n % 7 == 0 else "") for n in range(3000)]
    rows = [(n + 1, str(e.id), e.encode()) for n, e in enumerate(events)]
    cut = batches(rows)
    assert [row for batch in cut for row in batch] == rows  # nothing lost, in order
    for batch in cut:
        payload = encode_batch([row[2] for row in batch])
        assert len(payload) <= BATCH_BYTES < MAX_MESSAGE_BYTES
        assert len(batch) <= BATCH_EVENTS
        assert [str(AgentEvent.from_json(b).id) for b in decode_events(payload)] == [
            row[1] for row in batch
        ]
    assert len(cut) < len(rows) / 10


def test_an_event_too_large_for_a_batch_goes_alone() -> None:
    huge = event(0, "y" * BATCH_BYTES)
    rows = [(1, "a", event(1).encode()), (2, str(huge.id), huge.encode()), (3, "c", b"{}")]
    assert [len(batch) for batch in batches(rows)] == [1, 1, 1]


def test_acks_are_cut_to_fit_a_message() -> None:
    ids = [str(uuid.uuid4()) for _ in range(4 * MAX_ACK_IDS + 7)]
    acks = encode_acks(ids)
    assert len(acks) == 5
    assert all(len(ack) <= MAX_MESSAGE_BYTES for ack in acks)
    assert [i for ack in acks for i in decode_ack(ack)] == ids
    assert encode_acks([]) == []
    assert json.loads(acks[-1]) == {"ids": ids[-7:]}
