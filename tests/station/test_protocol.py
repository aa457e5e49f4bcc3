"""The bus protocol refuses anything odd with ProtocolError, never another exception."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.protocol.commands import (
    Author,
    CommandResult,
    RefusedCommand,
    check_command,
    make_command,
)
from station.protocol.errors import ProtocolError
from station.protocol.events import AgentEvent
from station.protocol.keys import Keyring, SigningKey, TrustedKey, sign_envelope, verify_envelope
from station.protocol.signing import parse_json
from station.protocol.vocabulary import APPLIED, Command, Refusal

KEY = SigningKey.generate()  # the site's
KIOSK_KEY = SigningKey.generate()  # kiosk "entree"'s
NOW = dt.datetime(2026, 11, 26, 12, tzinfo=dt.UTC)
CONSOLE = Author("Site admin", "console")
SITE_KEYS = Keyring([TrustedKey(KEY.verify_key)])
ISSUERS = Keyring(
    [TrustedKey(KEY.verify_key), TrustedKey(KIOSK_KEY.verify_key, holder="kiosk:entree")]
)
DANA = Author.kiosk("entree", "Dana", "6f1c2a9e-0000-4000-8000-000000000001")


def test_signed_message_round_trips_and_a_forgery_is_refused() -> None:
    payload = sign_envelope({"a": 1, "é": [1.5, None]}, KEY)
    assert verify_envelope(payload, SITE_KEYS, NOW) == {"a": 1, "é": [1.5, None]}
    with pytest.raises(ProtocolError) as caught:
        verify_envelope(payload, Keyring([TrustedKey(KIOSK_KEY.verify_key)]), NOW)
    assert caught.value.reason == "unknown_key"


@pytest.mark.parametrize(
    "payload",
    [
        b'{"key":"0000000000000000","body":{"x":NaN},"sig":"00"}',
        b'{"key":"0000000000000000","body":{"x":Infinity},"sig":"00"}',
        '{"key":"0000000000000000","body":{},"sig":"é"}'.encode(),
        b'{"key":"0000000000000000","body":[],"sig":"00"}',
        b'{"alg":"HS256","body":{},"sig":"00"}',  # the former HMAC envelope
        b"[1, 2]",
        b"\xff\xfe",
    ],
)
def test_odd_envelopes_are_malformed(payload: bytes) -> None:
    with pytest.raises(ProtocolError) as caught:
        verify_envelope(payload, SITE_KEYS, NOW)
    assert caught.value.reason == "malformed"


@given(st.binary(max_size=300))
def test_any_bytes_give_a_protocol_error_or_a_body(payload: bytes) -> None:
    try:
        body = verify_envelope(payload, SITE_KEYS, NOW)
    except ProtocolError as refused:
        assert refused.reason in {"malformed", "bad_signature", "unknown_key"}
    else:  # only a payload signed with KEY could get here
        assert isinstance(body, dict)


def test_command_times_out_of_range_are_malformed() -> None:
    body = {
        "id": "c1",
        "agent": "front-door",
        "command": "unlock_once",
        "args": {},
        "issued_at": "0001-01-01T00:00:00+05:00",
        "expires_at": "0001-01-01T00:00:30+05:00",
    }
    with pytest.raises(ProtocolError) as caught:
        check_command(sign_envelope(body, KEY), "front-door", ISSUERS, NOW, lambda _id: False)
    assert caught.value.reason == "malformed"


def test_a_fresh_command_passes_once() -> None:
    seen: set[str] = set()

    def already_seen(command_id: str) -> bool:
        if command_id in seen:
            return True
        seen.add(command_id)
        return False

    _, payload = make_command(Command.UNLOCK_ONCE, "front-door", KEY, author=CONSOLE, now=NOW)
    body = check_command(payload, "front-door", ISSUERS, NOW, already_seen)
    assert body["command"] == "unlock_once"
    with pytest.raises(ProtocolError) as caught:
        check_command(payload, "front-door", ISSUERS, NOW, already_seen)
    assert caught.value.reason == "replayed"


def test_a_command_carries_its_author_and_reason() -> None:
    dana = DANA
    _, payload = make_command(
        Command.LOCKDOWN, "front-door", KIOSK_KEY, author=dana, reason="alarm", now=NOW
    )
    body = check_command(payload, "front-door", ISSUERS, NOW, lambda _id: False)
    assert Author.decode(body["issued_by"]) == dana
    assert body["issued_by"] == {
        "member": "6f1c2a9e-0000-4000-8000-000000000001",
        "name": "Dana",
        "device": "kiosk:entree",
    }
    assert body["reason"] == "alarm"
    with pytest.raises(RefusedCommand) as caught:  # refused, yet who sent it is known
        check_command(payload, "laser-cutter", ISSUERS, NOW, lambda _id: False)
    assert (caught.value.reason, caught.value.author, caught.value.why) == (
        Refusal.WRONG_AGENT,
        dana,
        "alarm",
    )


def _body(**changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "id": "c1",
        "agent": "front-door",
        "command": "lock",
        "args": {},
        "issued_at": NOW.isoformat(),
        "expires_at": (NOW + dt.timedelta(seconds=30)).isoformat(),
        "issued_by": CONSOLE.encode(),
    }
    return {k: v for k, v in (body | changes).items() if v is not ...}


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"issued_by": ...}, "no author"),
        ({"issued_by": None}, "no author"),
        ({"issued_by": ""}, "no author"),
        ({"issued_by": "staff:alice"}, "bad author"),  # the old free string
        ({"issued_by": {"member": None, "name": "", "device": "console"}}, "bad author"),
        ({"issued_by": {"member": None, "name": "x", "device": "phone"}}, "bad author"),
        ({"issued_by": {"member": 7, "name": "x", "device": "console"}}, "bad author"),
        ({"issued_by": {"name": "x", "device": "console"}}, "bad author"),
        ({"reason": "x" * 201}, "bad reason"),
        ({"reason": 5}, "bad reason"),
    ],
)
def test_a_command_without_a_good_author_is_malformed(
    changes: dict[str, object], detail: str
) -> None:
    with pytest.raises(ProtocolError) as caught:
        check_command(
            sign_envelope(_body(**changes), KEY), "front-door", ISSUERS, NOW, lambda _id: False
        )
    assert caught.value.reason == Refusal.MALFORMED
    assert caught.value.detail.startswith(detail)
    assert not isinstance(caught.value, RefusedCommand)


@pytest.mark.parametrize(
    ("key", "author"),
    [
        (KIOSK_KEY, CONSOLE),  # a kiosk's key speaking for the console
        (KIOSK_KEY, Author.kiosk("salle", "Dana", None)),  # ... or for another kiosk
        (KEY, DANA),  # the site key naming a kiosk it is not
    ],
)
def test_a_command_signed_by_a_key_its_author_does_not_hold_is_refused(
    key: SigningKey, author: Author
) -> None:
    _, payload = make_command(Command.UNLOCK_ONCE, "front-door", key, author=author, now=NOW)
    with pytest.raises(RefusedCommand) as caught:
        check_command(payload, "front-door", ISSUERS, NOW, lambda _id: False)
    assert caught.value.reason is Refusal.WRONG_ISSUER
    assert caught.value.author == author


def test_a_command_signed_by_an_issuer_key_out_of_its_window_is_refused() -> None:
    ending = Keyring([TrustedKey(KIOSK_KEY.verify_key, None, NOW, holder="kiosk:entree")])
    _, payload = make_command(Command.LOCK, "front-door", KIOSK_KEY, author=DANA, now=NOW)
    with pytest.raises(RefusedCommand) as caught:
        check_command(payload, "front-door", ending, NOW, lambda _id: False)
    assert caught.value.reason is Refusal.EXPIRED
    earlier = NOW - dt.timedelta(seconds=1)
    _, payload = make_command(Command.LOCK, "front-door", KIOSK_KEY, author=DANA, now=earlier)
    assert check_command(payload, "front-door", ending, earlier, lambda _id: False)


def test_a_command_is_not_made_without_an_author() -> None:
    with pytest.raises(TypeError):
        make_command(Command.LOCK, "front-door", KEY, author="alice")  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        make_command(Command.LOCK, "front-door", KEY, author=CONSOLE, reason="x" * 201)
    with pytest.raises(ValueError):
        Author("Dana", "kiosk:")  # a kiosk names itself


GOOD_EVENT: dict[str, Any] = {
    "id": "0190f0a0-0000-7000-8000-000000000001",
    "agent": "front-door",
    "resource": "front-door",
    "type": "granted",
    "at": "2026-11-26T13:00:00+01:00",
    "reason": "granted",
    "credential_hash": "ab" * 32,
    "member": None,
    "data": {},
}


def test_event_time_is_normalised_to_utc() -> None:
    event = AgentEvent.decode(json.dumps(GOOD_EVENT).encode())
    assert event.at == NOW and event.at.tzinfo is dt.UTC


@pytest.mark.parametrize(
    "change",
    [
        {"type": "x" * 41},
        {"agent": "a" * 65},
        {"reason": "nul\x00"},
        {"at": "2026-11-26T12:00:00"},
        {"at": "0001-01-01T00:00:00+05:00"},
        {"type": "launch_missiles"},
        {"data": [1]},
        {"id": "not-a-uuid"},
    ],
)
def test_events_the_database_could_not_hold_are_malformed(change: dict[str, object]) -> None:
    with pytest.raises(ProtocolError) as caught:
        AgentEvent.decode(json.dumps(GOOD_EVENT | change).encode())
    assert caught.value.reason == "malformed"


def test_a_command_result_round_trips_with_its_words_typed() -> None:
    at = dt.datetime(2026, 11, 26, 10, 0, tzinfo=dt.UTC)
    applied = CommandResult("front-door", APPLIED, Command.UNLOCK_ONCE, "c-1", "", at)
    refused = CommandResult("laser-cutter", Refusal.EXPIRED, Command.BLOCK, "c-2", "late", at)
    for result in (applied, refused):
        assert CommandResult.decode(result.encode()) == result
    assert applied.ok and not refused.ok
    body = json.loads(refused.encode())
    assert body == {
        "id": "c-2",
        "agent": "laser-cutter",
        "command": "block",
        "ok": False,
        "reason": "expired",
        "detail": "late",
        "at": "2026-11-26T10:00:00+00:00",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"agent": "front-door", "ok": True},  # no reason
        {"agent": "front-door", "ok": "yes", "reason": "applied"},
        {"agent": "front-door", "ok": True, "reason": "expired"},  # ok contradicts it
        {"agent": "front-door", "ok": False, "reason": "no_such_reason"},
        {"agent": "front-door", "ok": True, "reason": "applied", "command": "open_sesame"},
        {"agent": 7, "ok": True, "reason": "applied"},
        {"agent": "front-door", "ok": True, "reason": "applied", "at": "yesterday"},
        {"agent": "front-door", "ok": True, "reason": "applied", "detail": ["x"]},
    ],
)
def test_a_malformed_command_result_is_refused_with_the_reason(body: dict[str, Any]) -> None:
    with pytest.raises(ProtocolError) as refused:
        CommandResult.decode(json.dumps(body).encode())
    assert refused.value.reason is Refusal.MALFORMED


@pytest.mark.parametrize(
    "payload",
    [
        b'{"resource": "\\udc80"}',
        b'{"\\uDC80": 1}',
        b'{"data": [{"detail": "ok \\ud800"}]}',
    ],
)
def test_a_lone_surrogate_is_refused_as_no_text(payload: bytes) -> None:
    # Valid JSON, but no database can store it: one would fail a whole batch of events.
    with pytest.raises(ProtocolError) as refused:
        parse_json(payload)
    assert refused.value.reason is Refusal.MALFORMED and "surrogate" in refused.value.detail


def test_a_surrogate_pair_is_text() -> None:
    assert parse_json(b'{"name": "\\ud83d\\ude00 caf\\u00e9"}') == {"name": "😀 café"}


def test_an_event_with_a_lone_surrogate_is_refused() -> None:
    event = {
        "id": "018f0c1e-0000-7000-8000-000000000001",
        "agent": "front-door",
        "resource": "front-door",
        "type": "granted",
        "at": "2026-11-26T10:00:00+00:00",
        "member": "\udc80",
    }
    payload = json.dumps(event).encode()  # ensure_ascii: written as the escape
    with pytest.raises(ProtocolError):
        AgentEvent.decode(payload)
