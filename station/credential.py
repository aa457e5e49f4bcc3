"""Credentials as read from a badge, and their keyed hash.

A badge UID is an identifier, not a secret; it is never stored or sent in clear
beyond the reader. Everything downstream of `hardware/` only sees the keyed hash.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
from dataclasses import dataclass


class ReadFailure(enum.StrEnum):
    """Why a secure read of a badge failed; both deny."""

    BAD_READ = "bad_read"  # truncated, malformed, card gone mid-way
    AUTH_FAILED = "auth_failed"  # the card did not prove itself: no app, wrong key, bad MAC


class CredentialKind(enum.StrEnum):
    UID = "uid"  # the card's anti-collision UID: cheap, clonable
    SECURE = "secure"  # a value proven by a cryptographic exchange (e.g. DESFire AES)


@dataclass(frozen=True, slots=True)
class Credential:
    """What a reader hands up when a badge is presented."""

    kind: CredentialKind
    value: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.value, bytes) or not 1 <= len(self.value) <= 64:
            raise ValueError(f"a credential value must be 1 to 64 bytes, got {self.value!r}")

    @classmethod
    def uid(cls, hex_or_bytes: str | bytes) -> Credential:
        """A UID credential from bytes or a hex string (``"04A2..."``, ``"04:a2:..."``)."""
        if isinstance(hex_or_bytes, bytes):
            return cls(CredentialKind.UID, hex_or_bytes)
        cleaned = hex_or_bytes.replace(":", "").replace(" ", "").replace("-", "")
        try:
            return cls(CredentialKind.UID, bytes.fromhex(cleaned))
        except ValueError as exc:
            raise ValueError(f"not a hexadecimal UID: {hex_or_bytes!r}") from exc

    @property
    def hex(self) -> str:
        return self.value.hex().upper()

    def keyed_hash(self, key: bytes) -> str:
        """HMAC-SHA256 of kind and value with the site's key, as lowercase hex."""
        message = self.kind.value.encode() + b":" + self.value
        return hmac.new(key, message, hashlib.sha256).hexdigest()

    def to_json(self) -> dict[str, str]:
        return {"kind": self.kind.value, "hex": self.hex}

    def __repr__(self) -> str:  # never print a full UID in logs by accident
        return f"Credential({self.kind.value}, {self.hex[:4]}…)"
