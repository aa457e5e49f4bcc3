"""Ed25519 keys and signed envelopes: every signed message of the protocol.

Design:

- **Who signs what.** The site server (sync) holds the site's signing key: it signs grant
  snapshots, time beacons and the commands that come from the console. Each kiosk holds
  its own issuer key, for the commands it sends, and nothing else private. Agents hold
  only public keys: the site's, to verify their snapshot and beacons, and the issuer keys
  their current snapshot lists, to accept commands. Revoking a lost kiosk is removing its
  key at the site: the next snapshot no longer lists it, and its commands are refused.
  Nothing an agent holds lets it sign anything another agent (or itself) accepts.
- **Rotation without a flag day.** Every trusted key has an optional validity window
  (`not_before`, `not_after`). `station keys rotate` makes a new key and announces it, in
  the snapshot signed by the old one, with a window starting now; the old key gets a
  `not_after` at the end of the overlap. Through the overlap agents accept both; after
  it the old key's signatures are refused as expired. The site key itself rotates the
  same way: a snapshot may list the next site key before the site signs with it.

Wire form: ``{"body": <canonical JSON>, "key": <key id>, "sig": <base64url signature>}``,
the signature over the canonical bytes of the body (`signing.canonical`), the key id the
first 8 bytes of SHA-256 of the raw public key, in hex. Every check that fails refuses
explicitly with a `Refusal` (FabFire's lesson: no unchecked final step).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from station.errors import StationError
from station.protocol.errors import ProtocolError
from station.protocol.signing import MAX_MESSAGE_BYTES, canonical, parse_json
from station.protocol.vocabulary import Refusal

SIGNATURE_BYTES = 64
PUBLIC_KEY_BYTES = 32
_KEY_ID = re.compile(r"[0-9a-f]{16}")
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")
_ENVELOPE_KEYS = frozenset({"body", "key", "sig"})


class KeyFileError(StationError, ValueError):
    """A key file is unreadable, too widely readable or not an Ed25519 key (the message
    names the file)."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding: any other character, or a non-canonical form
    (stray trailing bits), is a `ValueError`, so one signature has one spelling."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise ValueError("not base64url")
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except binascii.Error:
        raise ValueError("not base64url") from None
    if b64url(data) != text:
        raise ValueError("not canonical base64url")
    return data


class VerifyKey:
    """A public Ed25519 key: what agents hold. Its text form is base64url of the 32 raw bytes."""

    __slots__ = ("_key", "key_id", "raw")

    def __init__(self, key: Ed25519PublicKey) -> None:
        self._key = key
        self.raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        self.key_id = hashlib.sha256(self.raw).digest()[:8].hex()

    @classmethod
    def from_text(cls, text: str) -> Self:
        try:
            raw = b64url_decode(text.strip())
        except ValueError:
            raise ValueError(f"a public key is base64url, not {text[:20]!r}") from None
        if len(raw) != PUBLIC_KEY_BYTES:
            raise ValueError(f"a public key is {PUBLIC_KEY_BYTES} bytes, not {len(raw)}")
        return cls(Ed25519PublicKey.from_public_bytes(raw))

    def to_text(self) -> str:
        return b64url(self.raw)

    def verifies(self, signature: bytes, data: bytes) -> bool:
        try:
            self._key.verify(signature, data)
        except InvalidSignature:
            return False
        return True

    def __eq__(self, other: object) -> bool:
        return isinstance(other, VerifyKey) and other.raw == self.raw

    def __hash__(self) -> int:
        return hash(self.raw)

    def __repr__(self) -> str:
        return f"VerifyKey({self.key_id})"


class SigningKey:
    """A private Ed25519 key: only where messages are issued (site server, each kiosk)."""

    __slots__ = ("_key", "verify_key")

    def __init__(self, key: Ed25519PrivateKey) -> None:
        self._key = key
        self.verify_key = VerifyKey(key.public_key())

    @classmethod
    def generate(cls) -> Self:
        return cls(Ed25519PrivateKey.generate())

    @property
    def key_id(self) -> str:
        return self.verify_key.key_id

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def save(self, path: Path) -> None:
        """Write the key as PKCS8 PEM, mode 0600 (an existing file is replaced)."""
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        # Created 0600 and written through a temporary name, so the key is never
        # readable by others, even for a moment, nor left half written.
        # mkstemp: a fresh name, created O_EXCL (a planted symlink is never followed).
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, pem)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Self:
        """The key in `path`, refused (as ssh does) if group or others may read it."""
        try:
            mode = path.stat().st_mode
            if not stat.S_ISREG(mode):
                raise KeyFileError(f"{path}: not a regular file")
            if mode & 0o077:
                raise KeyFileError(
                    f"{path}: mode {stat.S_IMODE(mode):04o} lets others read a private key;"
                    f" run chmod 600 {path}"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise KeyFileError(f"{path}: cannot read ({exc.strerror})") from None
        try:
            key = serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            raise KeyFileError(f"{path}: not an unencrypted PEM private key ({exc})") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise KeyFileError(f"{path}: not an Ed25519 key (found {type(key).__name__})")
        return cls(key)

    def __repr__(self) -> str:  # never the private bytes
        return f"SigningKey({self.key_id})"


def _aware(moment: dt.datetime | None, what: str) -> None:
    if moment is not None and moment.utcoffset() is None:
        raise ValueError(f"{what} must be an aware datetime")


SITE_HOLDER = "site"  # the holder of a site key; a kiosk's key is held by "kiosk:<id>"
_TRUSTED_KEYS = frozenset({"holder", "key", "not_before", "not_after"})
_HOLDER = re.compile(r"site|kiosk:[a-z0-9][a-z0-9_-]{0,62}")


@dataclass(frozen=True, slots=True)
class TrustedKey:
    """A public key, who holds its private half (``site`` or ``kiosk:<id>``) and the
    window in which its signatures are accepted (either end open)."""

    key: VerifyKey
    not_before: dt.datetime | None = None
    not_after: dt.datetime | None = None
    holder: str = SITE_HOLDER

    def __post_init__(self) -> None:
        _aware(self.not_before, "not_before")
        _aware(self.not_after, "not_after")
        if self.not_before and self.not_after and self.not_after <= self.not_before:
            raise ValueError("not_after must be later than not_before")
        if not isinstance(self.holder, str) or not _HOLDER.fullmatch(self.holder):
            raise ValueError(f"holder {self.holder!r:.40} is not 'site' or 'kiosk:<id>'")

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def check_valid_at(self, moment: dt.datetime) -> None:
        """`ProtocolError` (not_yet_valid, expired) unless `moment` is in the window."""
        _aware(moment, "moment")
        if self.not_before is not None and moment < self.not_before:
            raise ProtocolError(
                Refusal.NOT_YET_VALID,
                f"key {self.key_id} is valid from {self.not_before.isoformat()}",
            )
        if self.not_after is not None and moment >= self.not_after:
            raise ProtocolError(
                Refusal.EXPIRED, f"key {self.key_id} expired at {self.not_after.isoformat()}"
            )

    def valid_at(self, moment: dt.datetime) -> bool:
        return (self.not_before is None or self.not_before <= moment) and (
            self.not_after is None or moment < self.not_after
        )

    def to_json(self) -> dict[str, Any]:
        """The form a snapshot announces it in."""
        return {
            "holder": self.holder,
            "key": self.key.to_text(),
            "not_before": self.not_before.isoformat() if self.not_before else None,
            "not_after": self.not_after.isoformat() if self.not_after else None,
        }

    @classmethod
    def from_json(cls, data: Any) -> Self:
        try:
            if not isinstance(data, dict) or set(data) != _TRUSTED_KEYS:
                raise ValueError("expected {holder, key, not_before, not_after}")
            start, end = data["not_before"], data["not_after"]
            return cls(
                VerifyKey.from_text(data["key"]),
                dt.datetime.fromisoformat(start) if start is not None else None,
                dt.datetime.fromisoformat(end) if end is not None else None,
                data["holder"],
            )
        except (TypeError, ValueError, AttributeError) as exc:
            raise ProtocolError(Refusal.MALFORMED, f"bad trusted key ({exc})") from None


class Keyring:
    """The public keys a reader trusts, by key id, each with its validity window."""

    def __init__(self, keys: list[TrustedKey] | None = None) -> None:
        self._keys: dict[str, TrustedKey] = {}
        for trusted in keys or []:
            self.add(trusted)

    def add(self, trusted: TrustedKey) -> None:
        """Trust a key in its window (replacing what was known of the same key)."""
        self._keys[trusted.key_id] = trusted

    def remove(self, key_id: str) -> None:
        self._keys.pop(key_id, None)

    def get(self, key_id: str) -> TrustedKey | None:
        return self._keys.get(key_id)

    def __iter__(self) -> Iterator[TrustedKey]:
        return iter(self._keys.values())

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key_id: object) -> bool:
        return key_id in self._keys

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Keyring) and other._keys == self._keys

    __hash__ = None  # type: ignore[assignment]  # mutable

    def overridden_by(self, other: Keyring) -> Keyring:
        """This keyring with `other`'s entries, `other` winning for the same key."""
        return Keyring([*self, *other])

    def to_json(self) -> list[dict[str, Any]]:
        return [self._keys[key_id].to_json() for key_id in sorted(self._keys)]

    @classmethod
    def from_json(cls, data: Any) -> Self:
        if not isinstance(data, list):
            raise ProtocolError(Refusal.MALFORMED, "a keyring is a list of trusted keys")
        return cls([TrustedKey.from_json(item) for item in data])


def sign_envelope(body: dict[str, Any], key: SigningKey) -> bytes:
    """The wire form of `body` signed by `key` (the canonical body is serialised once)."""
    payload = canonical(body)
    signature = b64url(key.sign(payload))
    return b'{"body":%s,"key":"%s","sig":"%s"}' % (
        payload,
        key.key_id.encode(),
        signature.encode(),
    )


def verify_envelope(
    payload: bytes, keyring: Keyring, now: dt.datetime, *, max_bytes: int = MAX_MESSAGE_BYTES
) -> dict[str, Any]:
    """The body of a signed envelope, or `ProtocolError` saying why it is refused."""
    _aware(now, "now")
    body, trusted = open_envelope(payload, keyring, max_bytes=max_bytes)
    trusted.check_valid_at(now)
    return body


def open_envelope(
    payload: bytes, keyring: Keyring, *, max_bytes: int = MAX_MESSAGE_BYTES
) -> tuple[dict[str, Any], TrustedKey]:
    """(body, the key that signed it) once the signature verifies, its window not yet
    checked: the caller checks it at the time that matters (`TrustedKey.check_valid_at`;
    a time beacon's own signed time, since the agent's clock is what it sets)."""
    body, key_id, signature = _envelope(parse_json(payload, max_bytes=max_bytes))
    trusted = keyring.get(key_id)
    if trusted is None:
        raise ProtocolError(Refusal.UNKNOWN_KEY, f"unknown key id {key_id}")
    if len(signature) != SIGNATURE_BYTES:
        raise ProtocolError(
            Refusal.BAD_SIGNATURE,
            f"signature of {len(signature)} bytes, expected {SIGNATURE_BYTES}",
        )
    try:  # a snapshot-sized body is not depth-checked by parse_json
        signed = canonical(body)
    except (ValueError, RecursionError) as exc:
        raise ProtocolError(Refusal.MALFORMED, f"body cannot be made canonical ({exc})") from None
    if not trusted.key.verifies(signature, signed):
        raise ProtocolError(Refusal.BAD_SIGNATURE, f"signature does not verify with key {key_id}")
    return body, trusted


def _envelope(envelope: dict[str, Any]) -> tuple[dict[str, Any], str, bytes]:
    """(body, key id, signature bytes) of a parsed envelope, or `ProtocolError('malformed')`."""
    if set(envelope) != _ENVELOPE_KEYS:
        missing = sorted(_ENVELOPE_KEYS - set(envelope))
        extra = sorted(set(envelope) - _ENVELOPE_KEYS)
        raise ProtocolError(
            Refusal.MALFORMED,
            f"expected an envelope {{body, key, sig}} (missing {missing}, extra {extra})",
        )
    body, key_id, sig = envelope["body"], envelope["key"], envelope["sig"]
    if not isinstance(body, dict):
        raise ProtocolError(Refusal.MALFORMED, "body must be an object")
    if not isinstance(key_id, str) or not _KEY_ID.fullmatch(key_id):
        raise ProtocolError(Refusal.MALFORMED, "key must be a key id (16 hex digits)")
    if not isinstance(sig, str):
        raise ProtocolError(Refusal.MALFORMED, "sig must be a string")
    try:
        signature = b64url_decode(sig)
    except ValueError as exc:
        raise ProtocolError(Refusal.MALFORMED, f"sig is {exc}") from None
    return body, key_id, signature
