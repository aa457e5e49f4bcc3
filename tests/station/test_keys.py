"""Ed25519 envelopes: a good one verifies, and every failed check refuses with its reason."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key

from station.protocol.errors import ProtocolError
from station.protocol.keys import (
    KeyFileError,
    Keyring,
    SigningKey,
    TrustedKey,
    VerifyKey,
    b64url,
    b64url_decode,
    sign_envelope,
    verify_envelope,
)
from station.protocol.signing import MAX_SNAPSHOT_BYTES, canonical
from station.protocol.vocabulary import Refusal

NOW = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
BODY: dict[str, Any] = {"site": "fablab", "agent": "door-1", "version": 3, "note": "é"}


@pytest.fixture(scope="module")
def site() -> SigningKey:
    return SigningKey.generate()


@pytest.fixture
def ring(site: SigningKey) -> Keyring:
    return Keyring([TrustedKey(site.verify_key)])


def refusal(
    payload: bytes, ring: Keyring, now: dt.datetime = NOW, max_bytes: int | None = None
) -> ProtocolError:
    with pytest.raises(ProtocolError) as caught:
        if max_bytes is None:
            verify_envelope(payload, ring, now)
        else:
            verify_envelope(payload, ring, now, max_bytes=max_bytes)
    return caught.value


def rewrite(payload: bytes, change: Callable[[dict[str, Any]], None]) -> bytes:
    envelope = json.loads(payload)
    change(envelope)
    return json.dumps(envelope).encode()


def test_an_envelope_round_trips_and_is_canonical(site: SigningKey, ring: Keyring) -> None:
    payload = sign_envelope(BODY, site)
    assert verify_envelope(payload, ring, NOW) == BODY
    envelope = json.loads(payload)
    assert set(envelope) == {"body", "key", "sig"}
    assert envelope["key"] == site.key_id
    assert payload == canonical(envelope)  # the envelope itself is canonical JSON
    assert len(b64url_decode(envelope["sig"])) == 64


def test_a_re_serialised_envelope_still_verifies(site: SigningKey, ring: Keyring) -> None:
    # The signature is over the canonical body, not over the bytes as they came.
    spaced = json.dumps(json.loads(sign_envelope(BODY, site)), indent=2).encode()
    assert verify_envelope(spaced, ring, NOW) == BODY


def test_a_tampered_body_is_a_bad_signature(site: SigningKey, ring: Keyring) -> None:
    payload = rewrite(sign_envelope(BODY, site), lambda e: e["body"].update(version=4))
    error = refusal(payload, ring)
    assert error.reason is Refusal.BAD_SIGNATURE
    assert "does not verify" in error.detail


def test_a_tampered_signature_is_a_bad_signature(site: SigningKey, ring: Keyring) -> None:
    def flip(envelope: dict[str, Any]) -> None:
        raw = bytearray(b64url_decode(envelope["sig"]))
        raw[10] ^= 1
        envelope["sig"] = b64url(bytes(raw))

    error = refusal(rewrite(sign_envelope(BODY, site), flip), ring)
    assert error.reason is Refusal.BAD_SIGNATURE
    assert "does not verify" in error.detail


def test_a_signature_by_another_key_claiming_the_trusted_id_is_refused(
    site: SigningKey, ring: Keyring
) -> None:
    forger = SigningKey.generate()
    payload = rewrite(sign_envelope(BODY, forger), lambda e: e.update(key=site.key_id))
    error = refusal(payload, ring)
    assert error.reason is Refusal.BAD_SIGNATURE
    assert "does not verify" in error.detail


def test_an_unknown_key_id_is_refused_and_named(ring: Keyring) -> None:
    stranger = SigningKey.generate()
    error = refusal(sign_envelope(BODY, stranger), ring)
    assert error.reason is Refusal.UNKNOWN_KEY
    assert error.detail == f"unknown key id {stranger.key_id}"


def test_a_removed_key_is_refused(site: SigningKey) -> None:
    kiosk = SigningKey.generate()
    ring = Keyring([TrustedKey(site.verify_key), TrustedKey(kiosk.verify_key)])
    payload = sign_envelope(BODY, kiosk)
    assert verify_envelope(payload, ring, NOW) == BODY
    ring.remove(kiosk.key_id)
    assert refusal(payload, ring).detail == f"unknown key id {kiosk.key_id}"


def test_a_key_before_its_window_is_not_yet_valid(site: SigningKey) -> None:
    ring = Keyring([TrustedKey(site.verify_key, not_before=NOW + HOUR)])
    error = refusal(sign_envelope(BODY, site), ring)
    assert error.reason is Refusal.NOT_YET_VALID
    assert site.key_id in error.detail


def test_a_key_after_its_window_is_expired(site: SigningKey) -> None:
    ring = Keyring([TrustedKey(site.verify_key, not_after=NOW)])
    error = refusal(sign_envelope(BODY, site), ring)
    assert error.reason is Refusal.EXPIRED
    assert site.key_id in error.detail
    assert verify_envelope(sign_envelope(BODY, site), ring, NOW - HOUR) == BODY


def test_rotation_accepts_old_and_new_through_the_overlap_then_only_the_new() -> None:
    old, new = SigningKey.generate(), SigningKey.generate()
    ring = Keyring(
        [TrustedKey(old.verify_key, not_after=NOW + HOUR), TrustedKey(new.verify_key, NOW)]
    )
    ring = Keyring.from_json(json.loads(json.dumps(ring.to_json())))  # as a snapshot carries it
    by_old, by_new = sign_envelope(BODY, old), sign_envelope(BODY, new)
    assert refusal(by_new, ring, NOW - HOUR).reason is Refusal.NOT_YET_VALID
    assert verify_envelope(by_old, ring, NOW - HOUR) == BODY
    assert verify_envelope(by_old, ring, NOW) == BODY  # the overlap
    assert verify_envelope(by_new, ring, NOW) == BODY
    assert refusal(by_old, ring, NOW + HOUR).reason is Refusal.EXPIRED
    assert verify_envelope(by_new, ring, NOW + 1000 * HOUR) == BODY


@pytest.mark.parametrize("length", [0, 32, 63, 65, 128])
def test_a_signature_of_the_wrong_length_is_refused(
    site: SigningKey, ring: Keyring, length: int
) -> None:
    payload = rewrite(sign_envelope(BODY, site), lambda e: e.update(sig=b64url(b"s" * length)))
    error = refusal(payload, ring)
    assert error.reason is Refusal.BAD_SIGNATURE
    assert f"signature of {length} bytes" in error.detail


@pytest.mark.parametrize(
    "sig",
    ["!!!!", "a+b/", "AAAA====", "A", "AB=", " " * 86, "é" * 86, "AB"],
    ids=["punctuation", "plain-base64", "padded", "one-char", "pad", "spaces", "non-ascii", "bits"],
)
def test_a_signature_that_is_not_base64url_is_malformed(
    site: SigningKey, ring: Keyring, sig: str
) -> None:
    payload = rewrite(sign_envelope(BODY, site), lambda e: e.update(sig=sig))
    error = refusal(payload, ring)
    assert error.reason is Refusal.MALFORMED
    assert error.detail.startswith("sig is not")


def test_base64url_has_one_spelling() -> None:
    assert b64url_decode(b64url(b"\x00\xff" * 33)) == b"\x00\xff" * 33
    with pytest.raises(ValueError, match="canonical"):
        b64url_decode("AB")  # decodes to b"\x00" but b"\x00" is spelled "AA"


@pytest.mark.parametrize("field", ["body", "key", "sig"])
def test_a_missing_field_is_malformed(site: SigningKey, ring: Keyring, field: str) -> None:
    error = refusal(rewrite(sign_envelope(BODY, site), lambda e: e.pop(field)), ring)
    assert error.reason is Refusal.MALFORMED
    assert f"missing ['{field}']" in error.detail


@pytest.mark.parametrize("field", ["alg", "kid", "extra"])
def test_an_extra_field_is_malformed(site: SigningKey, ring: Keyring, field: str) -> None:
    error = refusal(rewrite(sign_envelope(BODY, site), lambda e: e.update({field: "x"})), ring)
    assert error.reason is Refusal.MALFORMED
    assert f"extra ['{field}']" in error.detail


@pytest.mark.parametrize(
    ("field", "value", "detail"),
    [
        ("body", [1, 2], "body must be an object"),
        ("body", "text", "body must be an object"),
        ("key", 12, "key must be a key id"),
        ("key", "ABCDEF0123456789", "key must be a key id"),
        ("key", "0123", "key must be a key id"),
        ("sig", 12, "sig must be a string"),
        ("sig", None, "sig must be a string"),
    ],
)
def test_a_field_of_the_wrong_type_is_malformed(
    site: SigningKey, ring: Keyring, field: str, value: object, detail: str
) -> None:
    error = refusal(rewrite(sign_envelope(BODY, site), lambda e: e.update({field: value})), ring)
    assert error.reason is Refusal.MALFORMED
    assert error.detail.startswith(detail)


@pytest.mark.parametrize(
    "payload", [b"", b"\xff\xfe", b"not json", b"[1,2]", b'{"body":NaN}', b"[" * 100 + b"]" * 100]
)
def test_what_is_not_a_json_object_is_malformed(ring: Keyring, payload: bytes) -> None:
    assert refusal(payload, ring).reason is Refusal.MALFORMED


def test_a_message_past_the_limit_is_refused_unread(site: SigningKey, ring: Keyring) -> None:
    payload = sign_envelope({"noise": "x" * 70_000}, site)
    assert "too large" in refusal(payload, ring).detail
    body = verify_envelope(payload, ring, NOW, max_bytes=MAX_SNAPSHOT_BYTES)
    assert body == {"noise": "x" * 70_000}


def test_a_body_nested_too_deep_for_canonical_form_is_malformed(
    site: SigningKey, ring: Keyring
) -> None:
    # Past MAX_MESSAGE_BYTES parse_json skips its depth walk (as for snapshots): the
    # nesting is still refused as malformed, never raised as a RecursionError.
    deep = b"[" * 100_000 + b"]" * 100_000
    payload = b'{"body":{"a":%s},"key":"%s","sig":"%s"}' % (
        deep,
        site.key_id.encode(),
        b64url(b"s" * 64).encode(),
    )
    assert refusal(payload, ring, max_bytes=MAX_SNAPSHOT_BYTES).reason is Refusal.MALFORMED


def test_a_naive_now_or_window_is_a_programming_error(site: SigningKey, ring: Keyring) -> None:
    with pytest.raises(ValueError, match="aware"):
        verify_envelope(sign_envelope(BODY, site), ring, NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="aware"):
        TrustedKey(site.verify_key, not_before=NOW.replace(tzinfo=None))
    with pytest.raises(ValueError, match="later"):
        TrustedKey(site.verify_key, NOW, NOW)


def test_a_public_key_round_trips_through_its_text_form(site: SigningKey) -> None:
    text = site.verify_key.to_text()
    assert len(text) == 43
    assert VerifyKey.from_text(text) == site.verify_key
    assert VerifyKey.from_text(text).key_id == site.key_id
    assert len(site.key_id) == 16
    for bad in ["", "!!", b64url(b"k" * 31), b64url(b"k" * 33)]:
        with pytest.raises(ValueError, match="public key"):
            VerifyKey.from_text(bad)


@pytest.mark.parametrize(
    "data",
    [
        None,
        [],
        {"key": "x"},
        {"key": "!!", "not_before": None, "not_after": None},
        {"key": None, "not_before": None, "not_after": None},
        {"key": "AAAA", "not_before": "yesterday", "not_after": None},
        {"holder": "phone", "key": b64url(b"k" * 32), "not_before": None, "not_after": None},
        {"holder": None, "key": b64url(b"k" * 32), "not_before": None, "not_after": None},
    ],
)
def test_a_bad_announced_key_is_malformed(data: object) -> None:
    with pytest.raises(ProtocolError) as caught:
        Keyring.from_json([data])
    assert caught.value.reason is Refusal.MALFORMED


@pytest.mark.parametrize("data", [None, {}, "key", 3])
def test_a_keyring_that_is_not_a_list_is_malformed(data: object) -> None:
    with pytest.raises(ProtocolError) as caught:
        Keyring.from_json(data)
    assert caught.value.reason is Refusal.MALFORMED


def test_a_naive_announced_window_is_malformed(site: SigningKey) -> None:
    announced = {
        "holder": "site",
        "key": site.verify_key.to_text(),
        "not_before": "2026-12-01T00:00",
        "not_after": None,
    }
    with pytest.raises(ProtocolError, match="aware"):
        Keyring.from_json([announced])


def test_a_key_saved_0600_loads_back(tmp_path: Path, site: SigningKey) -> None:
    path = tmp_path / "site.key"
    site.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    loaded = SigningKey.load(path)
    assert loaded.verify_key == site.verify_key
    assert site.key_id in repr(loaded) and "PRIVATE" not in repr(loaded)


def test_saving_over_a_readable_file_leaves_it_0600(tmp_path: Path, site: SigningKey) -> None:
    path = tmp_path / "site.key"
    path.write_text("old")
    path.chmod(0o644)
    site.save(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert SigningKey.load(path).key_id == site.key_id


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660])
def test_a_key_readable_by_others_is_refused(tmp_path: Path, site: SigningKey, mode: int) -> None:
    path = tmp_path / "site.key"
    site.save(path)
    path.chmod(mode)
    with pytest.raises(KeyFileError, match=f"{path}: mode {mode:04o}"):
        SigningKey.load(path)


def test_a_missing_or_unreadable_key_file_names_the_file(tmp_path: Path) -> None:
    with pytest.raises(KeyFileError, match=f"{tmp_path / 'none.key'}: cannot read"):
        SigningKey.load(tmp_path / "none.key")
    with pytest.raises(KeyFileError, match="not a regular file"):
        SigningKey.load(tmp_path)
    if os.geteuid() != 0:  # root reads a 0000 file
        path = tmp_path / "locked.key"
        SigningKey.generate().save(path)
        path.chmod(0o000)
        with pytest.raises(KeyFileError, match=f"{path}: cannot read"):
            SigningKey.load(path)


def test_a_file_that_is_not_an_ed25519_key_is_refused(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.key"
    garbage.write_bytes(b"not a key")
    garbage.chmod(0o600)
    with pytest.raises(KeyFileError, match=f"{garbage}: not an unencrypted PEM"):
        SigningKey.load(garbage)
    ec = tmp_path / "ec.key"
    ec.write_bytes(
        generate_private_key(SECP256R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    ec.chmod(0o600)
    with pytest.raises(KeyFileError, match=rf"{ec}: not an Ed25519 key \(found EC"):
        SigningKey.load(ec)
