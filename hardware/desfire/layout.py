"""The site's DESFire application: keys, their diversification, files and contents.

- PICC (AID 000000): AES master key diversified from the issue master (``PICC``).
- Application ``aid``: AES, 2 keys; key 0 (``APP_MASTER``, issue master) changes keys
  and writes files, key 1 (``READ``, read master) reads file 1.
- File 0: 16 bytes, plain, free read: ``len || uid || zeros`` (the diversification
  input's source, readable before authentication on random-UID cards).
- File 1: 32 bytes, enciphered, read with key 1: ``"ST" || 01 || value16 || zeros``.

Diversification input (AN10922 AES-128, M at most 31 bytes):
``purpose byte || uid || aid (3 bytes as on the wire) || system id`` (the system id
truncated to fit), so that the two keys from the issue master differ.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from hardware.desfire import crypto
from hardware.desfire.errors import auth_failed, bad_read

PICC_AID = b"\x00\x00\x00"
AID_LENGTH = 3
KEY_LENGTH = 16
# Key settings: bit 0 master key changeable, bit 1 clear (no file listing or file
# settings without the master key: 0x0B would allow it), bit 2 clear (no free
# create/delete), bit 3 configuration changeable, bits 7-4 zero (key 0 changes keys).
APP_KEY_SETTINGS = 0x09
APP_KEYS = 0x80 | 2  # AES crypto, 2 keys
PICC_KEY_NO = 0x80  # ChangeKey on the PICC master key: 0x80 says the new key is AES
APP_MASTER_KEY_NO = 0
READ_KEY_NO = 1
KEY_VERSION = 0x01  # the site's keys; a blank card's keys are version 0x00
BLANK_KEY = bytes(KEY_LENGTH)
UID_FILE = 0x00
UID_FILE_SIZE = 16
CREDENTIAL_FILE = 0x01
CREDENTIAL_FILE_SIZE = 32
CREDENTIAL_HEADER = b"ST\x01"  # "ST" and the format version
VALUE_LENGTH = 16
UID_LENGTHS = (4, 7, 10)


class CommSetting(enum.IntEnum):
    """A file's communication setting in CreateStdDataFile."""

    PLAIN = 0x00
    MAC = 0x01
    FULL = 0x03


FREE = 0xE  # an access right granted to everyone


def access_rights(*, read: int, write: int, read_write: int, change: int) -> bytes:
    """The two access-rights bytes of CreateStdDataFile, least significant first."""
    value = (read << 12) | (write << 8) | (read_write << 4) | change
    return value.to_bytes(2, "little")


UID_FILE_RIGHTS = access_rights(read=FREE, write=0, read_write=0, change=0)
CREDENTIAL_FILE_RIGHTS = access_rights(read=READ_KEY_NO, write=0, read_write=0, change=0)


class KeyPurpose(enum.IntEnum):
    """The first byte of the diversification input, one per key of a card."""

    PICC = 0x50  # "P": the PICC master key (issue master)
    APP_MASTER = 0x4D  # "M": application key 0 (issue master)
    READ = 0x52  # "R": application key 1 (read master)


def _check(master: bytes, aid: bytes) -> None:
    if len(master) != KEY_LENGTH:
        raise ValueError(f"a DESFire master key is 16 bytes, got {len(master)}")
    if len(aid) != AID_LENGTH or aid == PICC_AID:
        raise ValueError(f"an application id is 3 bytes other than 000000, got {aid.hex()}")


@dataclass(frozen=True, slots=True, repr=False)
class ReadKeys:
    """What a reader needs to read the site's badges: the read master, the AID (3 bytes
    as sent in SelectApplication, least significant byte first), the system id."""

    read_master: bytes
    aid: bytes
    system_id: bytes

    def __post_init__(self) -> None:
        _check(self.read_master, self.aid)

    def __repr__(self) -> str:  # never the key
        return f"ReadKeys(aid={self.aid.hex().upper()}, system_id={self.system_id!r})"

    def read_key(self, uid: bytes) -> bytes:
        return card_key(self.read_master, KeyPurpose.READ, uid, self.aid, self.system_id)


@dataclass(frozen=True, slots=True, repr=False)
class SiteKeys:
    """All of the site's DESFire keys (the site server only): issuing and formatting."""

    issue_master: bytes
    read_master: bytes
    aid: bytes
    system_id: bytes

    def __post_init__(self) -> None:
        _check(self.issue_master, self.aid)
        _check(self.read_master, self.aid)

    def __repr__(self) -> str:  # never the keys
        return f"SiteKeys(aid={self.aid.hex().upper()}, system_id={self.system_id!r})"

    def read_keys(self) -> ReadKeys:
        return ReadKeys(self.read_master, self.aid, self.system_id)

    def key(self, purpose: KeyPurpose, uid: bytes) -> bytes:
        master = self.read_master if purpose is KeyPurpose.READ else self.issue_master
        return card_key(master, purpose, uid, self.aid, self.system_id)


def diversification_input(purpose: KeyPurpose, uid: bytes, aid: bytes, system_id: bytes) -> bytes:
    if len(uid) not in UID_LENGTHS:
        raise ValueError(f"a UID is 4, 7 or 10 bytes, got {len(uid)}")
    head = bytes([purpose]) + uid + aid
    return head + system_id[: crypto.MAX_DIV_INPUT - len(head)]


def card_key(master: bytes, purpose: KeyPurpose, uid: bytes, aid: bytes, system_id: bytes) -> bytes:
    """One card's key for one purpose, AN10922-diversified from ``master``."""
    return crypto.diversify_aes128(master, diversification_input(purpose, uid, aid, system_id))


def uid_file(uid: bytes) -> bytes:
    if len(uid) not in UID_LENGTHS:
        raise ValueError(f"a UID is 4, 7 or 10 bytes, got {len(uid)}")
    return (bytes([len(uid)]) + uid).ljust(UID_FILE_SIZE, b"\x00")


def parse_uid_file(content: bytes) -> bytes:
    """The UID written in file 0; `CardError` (bad read) if the file is not ours."""
    # Never the file's bytes in the message: it would spell the UID into the events.
    if len(content) != UID_FILE_SIZE or content[0] not in UID_LENGTHS:
        first = f"{content[0]:02X}" if content else "nothing"
        raise bad_read(f"file 0 does not hold a length-prefixed UID (first byte {first})")
    length = content[0]
    if any(content[1 + length :]):
        raise bad_read("file 0 has data after its UID")
    return content[1 : 1 + length]


def credential_file(value: bytes) -> bytes:
    if len(value) != VALUE_LENGTH:
        raise ValueError(f"a credential value is {VALUE_LENGTH} bytes, got {len(value)}")
    return (CREDENTIAL_HEADER + value).ljust(CREDENTIAL_FILE_SIZE, b"\x00")


def parse_credential_file(content: bytes) -> bytes:
    """The 16-byte value of file 1; `CardError` (auth failed) if its format is not ours."""
    if len(content) != CREDENTIAL_FILE_SIZE or not content.startswith(CREDENTIAL_HEADER):
        raise auth_failed("file 1 does not start with ST 01")
    end = len(CREDENTIAL_HEADER) + VALUE_LENGTH
    if any(content[end:]):
        raise auth_failed("file 1 has data after its value")
    return content[len(CREDENTIAL_HEADER) : end]
