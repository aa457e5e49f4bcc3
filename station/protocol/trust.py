"""What an agent trusts: the site keys (snapshots, time beacons) and the issuer keys
(commands), as its grant snapshot announces them.

An agent starts from one file, its trust anchor (``site.pub``: the site's public keys,
one per line, written by `station keys` and `station deploy agent`). Once it holds a
snapshot, the snapshot's ``trust`` governs: the site keys with their windows (a new
site key is announced there, signed by the old one, before the site signs with it),
and the issuers whose commands it accepts. Revoking a lost kiosk is removing its key
at the site: the next snapshot lists it no more, and its commands are refused.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from station.protocol.errors import ProtocolError
from station.protocol.keys import SITE_HOLDER, KeyFileError, Keyring, TrustedKey, VerifyKey
from station.protocol.vocabulary import Refusal

CONSOLE_DEVICE = "console"
CLI_DEVICE = "cli:"


def may_issue(holder: str, device: str) -> bool:
    """Whether a command whose author names `device` may be signed by `holder`'s key:
    a kiosk signs only as itself; the site key signs for the console and the command
    line of the site server. A stolen kiosk key cannot speak for another kiosk."""
    if holder == SITE_HOLDER:
        return device == CONSOLE_DEVICE or (device.startswith(CLI_DEVICE) and device != CLI_DEVICE)
    return device == holder


@dataclass(frozen=True)
class SiteTrust:
    """The keys a snapshot announces: ``{"site": [...], "issuers": [...]}``."""

    site: Keyring = field(default_factory=Keyring)
    issuers: Keyring = field(default_factory=Keyring)

    def to_json(self) -> dict[str, Any]:
        return {"site": self.site.to_json(), "issuers": self.issuers.to_json()}

    @classmethod
    def from_json(cls, data: Any) -> Self:
        """The trust of a snapshot body, or `ProtocolError` (malformed)."""
        if not isinstance(data, dict) or set(data) != {"site", "issuers"}:
            raise ProtocolError(Refusal.MALFORMED, "trust must be an object {site, issuers}")
        site, issuers = Keyring.from_json(data["site"]), Keyring.from_json(data["issuers"])
        if not len(site) or any(trusted.holder != SITE_HOLDER for trusted in site):
            raise ProtocolError(Refusal.MALFORMED, "trust.site lists one or more site keys only")
        return cls(site, issuers)


def read_anchor(path: Path) -> Keyring:
    """The site keys in an agent's trust anchor file; `KeyFileError` naming the file."""
    try:
        text = path.read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        detail = exc.strerror if isinstance(exc, OSError) else "not ASCII"
        raise KeyFileError(
            f"{path}: cannot read the site's public keys ({detail}); expected the file "
            "written by `station keys init` or `station deploy agent`"
        ) from None
    keys: list[TrustedKey] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            keys.append(TrustedKey(VerifyKey.from_text(line)))
        except ValueError as exc:
            raise KeyFileError(f"{path}, line {number}: {exc}") from None
    if not keys:
        raise KeyFileError(f"{path}: no site public key; expected one base64url key per line")
    return Keyring(keys)


def anchor_text(site: Keyring) -> str:
    lines = ["# The site's public keys (Ed25519, base64url): what an agent trusts first."]
    return "\n".join(lines + [trusted.key.to_text() for trusted in site]) + "\n"
