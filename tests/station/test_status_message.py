"""The agent's status as one schema (station.protocol.status) and the limits every
message's parsing enforces (station.protocol.signing.parse_json)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from door_agent.status import StatusPublisher
from station.protocol.beacon import make_beacon, read_beacon
from station.protocol.commands import CommandResult
from station.protocol.errors import ProtocolError
from station.protocol.events import AgentEvent, decode_ack
from station.protocol.grants import read_snapshot
from station.protocol.keys import Keyring, SigningKey, TrustedKey, sign_envelope
from station.protocol.signing import MAX_MESSAGE_BYTES, parse_json
from station.protocol.status import AgentStatusMessage
from station.protocol.vocabulary import (
    AgentKind,
    ClockProblem,
    ClockState,
    DoorMode,
    DoorState,
    EventType,
    MachineState,
    ReaderHealth,
    Refusal,
    StatusField,
)

NOW = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
KEY = SigningKey.generate()
SITE_KEYS = Keyring([TrustedKey(KEY.verify_key)])

DOOR_FIELDS: dict[StatusField, object] = {
    StatusField.MODE: DoorMode.LOCKDOWN,
    StatusField.DOOR: DoorState.OPEN,
    StatusField.ALARMS: [EventType.DOOR_FORCED],
    StatusField.FREE_ACCESS: False,
    StatusField.CLOCK: ClockState.UNSYNCED,
    StatusField.CLOCK_PROBLEM: ClockProblem.BEHIND,
    StatusField.RELAY: True,
    StatusField.READER: ReaderHealth.FAULT,
    StatusField.GRANTS_VERSION: 42,
    StatusField.OUTBOX_DEPTH: 3,
    StatusField.OUTBOX_ALARM: False,
}
MACHINE_FIELDS: dict[StatusField, object] = {
    StatusField.MODE: MachineState.IN_USE,
    StatusField.BUSY: True,
    StatusField.ALARMS: [],
    StatusField.SESSION_MEMBER: "3f0c7a0e-4f57-4a40-9a2e-0f1f0a9b1c2d",
    StatusField.CLOCK: ClockState.SYNCED,
    StatusField.CLOCK_PROBLEM: None,
    StatusField.GRANTS_VERSION: 7,
}


class Sink:
    """A link that keeps what the publisher sends."""

    connected = True

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    def topic(self, channel: str) -> str:
        return f"station/s/agents/a/{channel}"

    def publish(self, topic: str, payload: bytes, **_: Any) -> bool:
        self.sent.append(payload)
        return True


@pytest.mark.parametrize(
    ("kind", "fields"), [(AgentKind.DOOR, DOOR_FIELDS), (AgentKind.MACHINE, MACHINE_FIELDS)]
)
def test_what_an_agent_publishes_decodes_with_every_field(
    kind: AgentKind, fields: dict[StatusField, object]
) -> None:
    link = Sink()
    publisher = StatusPublisher(
        link, agent_id="a", kind=kind, resource="r", version="0.1.0", wall=lambda: NOW
    )
    publisher.update(fields, 0.0)
    status = AgentStatusMessage.decode(link.sent[-1])
    assert status.online and status.grants_version == fields[StatusField.GRANTS_VERSION]
    assert status.to_json() == json.loads(link.sent[-1])
    assert status.fields[StatusField.AT] == NOW.isoformat()
    last_will = AgentStatusMessage.decode(publisher.offline())
    assert not last_will.online and last_will.fields[StatusField.RELAY] is False


def test_the_last_will_before_any_status_decodes_with_version_zero() -> None:
    publisher = StatusPublisher(
        None, agent_id="a", kind=AgentKind.DOOR, resource="r", version="1", wall=lambda: NOW
    )
    status = AgentStatusMessage.decode(publisher.offline())
    assert (status.online, status.grants_version) == (False, 0)


def test_unknown_keys_are_dropped_not_refused() -> None:
    status = AgentStatusMessage.decode(json.dumps({"online": True, "teleport": 1}).encode())
    assert status.to_json() == {"online": True}


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"grants_version": 3},
        {"online": "yes"},
        {"online": True, "grants_version": "3"},
        {"online": True, "grants_version": True},
        {"online": True, "grants_version": -1},
        {"online": True, "grants_version": 2**53},
        {"online": True, "outbox_depth": 1.5},
        {"online": True, "mode": "flying"},
        {"online": True, "kind": ["door"]},
        {"online": True, "alarms": "door_forced"},
        {"online": True, "alarms": ["x"] * 17},
        {"online": True, "agent": "a" * 65},
        {"online": True, "agent": "a\x00"},
        {"online": True, "session_member": 12},
        {"online": True, "at": "2026-11-26T10:00:00"},
        {"online": True, "at": "0001-01-01T00:00:00+05:00"},
        {"online": True, "at": 5},
    ],
)
def test_a_status_that_does_not_fit_is_malformed(body: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as refused:
        AgentStatusMessage.decode(json.dumps(body).encode())
    assert refused.value.reason is Refusal.MALFORMED


HOSTILE = [
    b"",
    b"\xff\xfe",
    b"{not json",
    b"[1, 2]",
    b'"text"',
    b"42",
    b"null",
    b"[" * 100_000,
    b'{"a":' * 100_000,
    b'{"online": true, "x": ' + b"[" * 40 + b"]" * 40 + b"}",
    b'{"online": true, "grants_version": 1e999}',
    b'{"online": true, "grants_version": ' + str(10**400).encode() + b"}",
    b'{"online": true, "grants_version": NaN}',
    b'{"online": true, "x": "' + b"n" * (MAX_MESSAGE_BYTES + 1) + b'"}',
]


@pytest.mark.parametrize("payload", HOSTILE, ids=lambda p: repr(p[:24]))
def test_every_decoder_refuses_hostile_payloads_as_malformed(payload: bytes) -> None:
    decoders = [
        AgentStatusMessage.decode,
        AgentEvent.decode,
        decode_ack,
        CommandResult.decode,
        lambda p: read_beacon(p, "a", SITE_KEYS),
        lambda p: read_snapshot(p, "a", SITE_KEYS, NOW, 0),
    ]
    for decode in decoders:
        with pytest.raises(ProtocolError) as refused:
            decode(payload)
        assert refused.value.reason is Refusal.MALFORMED


def test_signed_bodies_with_out_of_range_numbers_are_malformed() -> None:
    body = {"agent": "a", "time": NOW.isoformat(), "n": 10**30}
    with pytest.raises(ProtocolError) as refused:
        read_beacon(sign_envelope(body, KEY), "a", SITE_KEYS)
    assert refused.value.reason is Refusal.MALFORMED
    assert read_beacon(make_beacon("a", NOW, KEY), "a", SITE_KEYS) == NOW


def test_limits_leave_ordinary_json_alone() -> None:
    body = {"n": [2**63 - 1, -(2**63), 1.5e300], "deep": [[[[[[[[{}]]]]]]]]}
    assert parse_json(json.dumps(body).encode()) == body


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(
    st.dictionaries(st.sampled_from([*map(str, StatusField), "extra"]), JSON)
    | st.binary(max_size=200)
)
def test_any_payload_gives_a_status_or_a_refusal(body: dict[str, Any] | bytes) -> None:
    payload = body if isinstance(body, bytes) else json.dumps(body).encode()
    try:
        status = AgentStatusMessage.decode(payload)
    except ProtocolError as exc:
        assert exc.reason is Refusal.MALFORMED
        return
    assert set(status.to_json()) <= set(map(str, StatusField))
    assert AgentStatusMessage.decode(status.encode()) == status
