"""The site's DESFire key files: what issues secure badges and what reads them.

Two JSON files, in the keys directory (``[keys] dir``, STATION_KEYS_DIR)::

    desfire-site.json  0600  the site server's: issue master, read master, AID, system
                             id, key version (`station badge issue|format` use it)
    desfire-read.json  0600  every agent's and kiosk's: the read master, AID, system id,
                             key version; nothing that can write or format a card

The masters are 16 random bytes each (`secrets`); each card's keys are diversified
from them (NXP AN10922) with the card's UID, the AID and the system id, so a card's
keys open no other card. `station deploy` makes the site file once and keeps it
(a new one would make every issued badge unreadable); the read file is derived from
it for each device's bundle.

The AID is written as NXP's tools show it, a 24-bit number in hexadecimal
(``"F51710"``); on the wire a DESFire AID is little-endian, so `aid_wire` is those
three bytes reversed (``10 17 F5``), which is what the card code and the
diversification input take.

A loaded file is checked whole, and refused with the file, the key and what was
expected: a file other users may read (group or other permission bits) is refused
too, with the `chmod` to run. The masters stay in memory: no `repr` shows them.
"""

from __future__ import annotations

import json
import os
import secrets
import stat
import tempfile
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from station.errors import StationError

SITE_FILE = "desfire-site.json"
READ_FILE = "desfire-read.json"
DEFAULT_AID = "F51710"
MASTER_BYTES = 16
FIRST_KEY_VERSION = 1
_MODE = 0o600
_READ_FIELDS = frozenset({"format", "aid", "system_id", "key_version", "read_master"})
_SITE_FIELDS = _READ_FIELDS | {"issue_master"}


class KeyFileFormat(StrEnum):
    SITE = "station-desfire-site/1"
    READ = "station-desfire-read/1"


class DesfireKeyError(StationError, ValueError):
    """A DESFire key file is missing, unreadable, too open or malformed (the message
    names the file, the key and what was expected)."""


@dataclass(frozen=True)
class ReadKeyFile:
    """What a reader needs to read the site's secure badges (no key that writes)."""

    read_master: bytes = field(repr=False)
    aid: int  # the AID as a number (0xF51710)
    system_id: str
    key_version: int

    @property
    def aid_wire(self) -> bytes:
        """The AID's three bytes as the card receives them (little-endian)."""
        return self.aid.to_bytes(3, "little")

    @property
    def system_id_bytes(self) -> bytes:
        """In full: the diversification cuts it to fit AN10922's 31 bytes with the UID."""
        return self.system_id.encode("utf-8")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": KeyFileFormat.READ.value,
            "aid": f"{self.aid:06X}",
            "system_id": self.system_id,
            "key_version": self.key_version,
            "read_master": self.read_master.hex(),
        }


@dataclass(frozen=True)
class SiteKeyFile(ReadKeyFile):
    """The site server's file: the read keys and the issue master (writes, formats)."""

    issue_master: bytes = field(default=b"", repr=False)

    def read_file(self) -> ReadKeyFile:
        return ReadKeyFile(self.read_master, self.aid, self.system_id, self.key_version)

    def to_json(self) -> dict[str, Any]:
        return {
            **super().to_json(),
            "format": KeyFileFormat.SITE.value,
            "issue_master": self.issue_master.hex(),
        }


def generate(system_id: str, aid: int = int(DEFAULT_AID, 16)) -> SiteKeyFile:
    return SiteKeyFile(
        read_master=secrets.token_bytes(MASTER_BYTES),
        aid=aid,
        system_id=system_id,
        key_version=FIRST_KEY_VERSION,
        issue_master=secrets.token_bytes(MASTER_BYTES),
    )


def ensure_site_keys(directory: Path, system_id: str) -> tuple[SiteKeyFile, bool]:
    """The site's key file in `directory`, made if absent; and whether it was made.
    An existing file is kept as it is (its system id too: the issued cards' keys
    were diversified with it), but a malformed or too open one is refused. Two
    commands making it at once agree on one file (the first link wins)."""
    path = directory / SITE_FILE
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        keys = generate(system_id)
        if write_key_file(path, keys, replace=False):
            return keys, True
    return load_site_keys(path), False


def render(keys: ReadKeyFile) -> bytes:
    return (json.dumps(keys.to_json(), indent=2) + "\n").encode("utf-8")


def write_key_file(path: Path, keys: ReadKeyFile, *, replace: bool = True) -> bool:
    """Through a temporary file made 0600: never readable by others, never half
    written. Without `replace`, an existing file is kept (False)."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, _MODE)
        with os.fdopen(fd, "wb") as out:
            out.write(render(keys))
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # fails if it exists: never two site files
        except FileExistsError:
            return False
        return True
    finally:
        Path(temporary).unlink(missing_ok=True)


def load_read_keys(path: Path) -> ReadKeyFile:
    """A read key file, or the read part of the site's file (a site server's reader)."""
    data = _load(path, (KeyFileFormat.READ, KeyFileFormat.SITE))
    return _read_part(path, data)


def load_site_keys(path: Path) -> SiteKeyFile:
    data = _load(path, (KeyFileFormat.SITE,))
    read = _read_part(path, data)
    issue = _master(path, data, "issue_master")
    if issue == read.read_master:
        raise DesfireKeyError(f"{path}: issue_master equals read_master; expected two keys")
    return SiteKeyFile(read.read_master, read.aid, read.system_id, read.key_version, issue)


def _load(path: Path, formats: tuple[KeyFileFormat, ...]) -> dict[str, Any]:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        raise DesfireKeyError(
            f"{path}: no DESFire key file; `station deploy` writes it (the site's on the "
            "site server, a read key file in each agent's and kiosk's bundle)"
        ) from None
    except OSError as exc:
        raise DesfireKeyError(f"{path}: unreadable ({exc.strerror})") from None
    if mode & 0o077:
        raise DesfireKeyError(
            f"{path}: mode {mode:04o} lets other users read the DESFire keys; expected "
            f"0600, readable by the service only (chmod 600 {path})"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise DesfireKeyError(f"{path}: unreadable ({exc.strerror})") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise DesfireKeyError(f"{path}: not JSON ({exc}); expected a DESFire key file") from None
    if not isinstance(data, dict):
        raise DesfireKeyError(f"{path}: expected a JSON object, got {type(data).__name__}")
    wanted = " or ".join(repr(f.value) for f in formats)
    if data.get("format") not in {f.value for f in formats}:
        raise DesfireKeyError(f"{path}: format: {data.get('format')!r}; expected {wanted}")
    allowed = _SITE_FIELDS if data["format"] == KeyFileFormat.SITE.value else _READ_FIELDS
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise DesfireKeyError(f"{path}: unknown key(s) {', '.join(unknown)}")
    return data


def _read_part(path: Path, data: dict[str, Any]) -> ReadKeyFile:
    aid_text = data.get("aid")
    if not isinstance(aid_text, str) or len(aid_text) != 6 or not _is_hex(aid_text):
        raise DesfireKeyError(
            f"{path}: aid: {aid_text!r}; expected 6 hexadecimal digits such as {DEFAULT_AID!r}"
        )
    aid = int(aid_text, 16)
    if aid == 0:
        raise DesfireKeyError(f"{path}: aid: 000000 is the card's own (PICC) level")
    system_id = data.get("system_id")
    if not isinstance(system_id, str) or not system_id.strip():
        raise DesfireKeyError(f"{path}: system_id: {system_id!r}; expected the site's id")
    version = data.get("key_version")
    if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= 255:
        raise DesfireKeyError(f"{path}: key_version: {version!r}; expected 0 to 255")
    return ReadKeyFile(_master(path, data, "read_master"), aid, system_id, version)


def _master(path: Path, data: dict[str, Any], key: str) -> bytes:
    text = data.get(key)
    if not isinstance(text, str) or len(text) != 2 * MASTER_BYTES or not _is_hex(text):
        raise DesfireKeyError(
            f"{path}: {key}: expected {2 * MASTER_BYTES} hexadecimal digits ({MASTER_BYTES} bytes)"
        )
    value = bytes.fromhex(text)
    if value == bytes(MASTER_BYTES):
        raise DesfireKeyError(f"{path}: {key}: all zero; expected a random key")
    return value


def _is_hex(text: str) -> bool:
    return all(c in "0123456789abcdefABCDEF" for c in text)
