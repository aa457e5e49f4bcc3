"""The steps every operation on a card shares, and the secure read of a badge.

`read_secure` is what agents and kiosks run on a DESFire card presented to a reader:
GetVersion, SelectApplication, ReadData of file 0 (the UID, plain), mutual AES
authentication with the card's read key, GetCardUID (enciphered: the real UID, which
must be file 0's), ReadData of file 1 (enciphered and MACed). Any step that does not
go exactly so raises `SecureReadError` with its reason; nothing is ever half-read.
"""

from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass

from hardware.desfire import layout
from hardware.desfire.apdu import (
    Command,
    Status,
    Transport,
    exchange_chained,
    expect_length,
    parse,
    refused,
    wrap,
)
from hardware.desfire.channel import Channel, CommMode
from hardware.desfire.errors import CardError, CardGone, SecureReadError, auth_failed, bad_read
from hardware.desfire.legacy import authenticate_aes
from hardware.desfire.session import authenticate_ev2_first
from station.credential import Credential, CredentialKind, ReadFailure

NXP = 0x04
DESFIRE = 0x01  # GetVersion's hardware type (DESFire Light, NTAG 424 have others)
VERSION_LENGTHS = (28, 29)  # 7 + 7 + 14, EV3 may add a FabKeyID byte


class Generation(enum.StrEnum):
    """The DESFire generation, from GetVersion's hardware major version."""

    EV1 = "ev1"
    EV2 = "ev2"
    EV3 = "ev3"


_MAJOR_VERSIONS = {0x01: Generation.EV1, 0x12: Generation.EV2, 0x33: Generation.EV3}


@dataclass(frozen=True, slots=True, repr=False)
class SecureRead:
    """A badge that proved itself: its credential, its real UID, its generation."""

    credential: Credential
    uid: bytes
    version: Generation

    def __repr__(self) -> str:  # the UID is personal data: not in logs in full
        return f"SecureRead({self.credential!r}, uid={self.uid[:2].hex().upper()}…, {self.version})"


def get_version(transport: Transport) -> Generation:
    """The card's generation; `CardError` (bad read) if it is not a DESFire EV1/2/3."""
    data = expect_length(
        Command.GET_VERSION, exchange_chained(transport, Command.GET_VERSION), *VERSION_LENGTHS
    )
    vendor, kind, major = data[0], data[1], data[3]
    if vendor != NXP or kind != DESFIRE or major not in _MAJOR_VERSIONS:
        raise bad_read(
            f"not a MIFARE DESFire EV1/EV2/EV3: vendor {vendor:02X}, type {kind:02X}, "
            f"hardware version {major:02X}"
        )
    return _MAJOR_VERSIONS[major]


def select_application(transport: Transport, aid: bytes) -> None:
    """SelectApplication (ends any authenticated session)."""
    command = Command.SELECT_APPLICATION
    answer = parse(command, transport.transmit(wrap(command, aid)))
    if answer.status == Status.APPLICATION_NOT_FOUND:
        raise auth_failed(f"no application {aid.hex().upper()} on the card (91A0)")
    if answer.status != Status.OK:
        raise refused(command, answer.status)
    expect_length(command, answer.data, 0)


def data_header(file_no: int, offset: int, length: int) -> bytes:
    """ReadData and WriteData's header: file, offset and length (3 bytes each, LSB first)."""
    return bytes([file_no]) + offset.to_bytes(3, "little") + length.to_bytes(3, "little")


def read_plain(transport: Transport, file_no: int, length: int) -> bytes:
    """ReadData of a file with free read access, before any authentication."""
    data = exchange_chained(transport, Command.READ_DATA, data_header(file_no, 0, length))
    return expect_length(Command.READ_DATA, data, length)


def authenticate(transport: Transport, generation: Generation, key_no: int, key: bytes) -> Channel:
    """AuthenticateEV2First on EV2/EV3, AuthenticateAES on EV1."""
    if generation is Generation.EV1:
        return authenticate_aes(transport, key_no, key)
    return authenticate_ev2_first(transport, key_no, key)


def get_card_uid(channel: Channel) -> bytes:
    """The card's real UID (GetCardUID, enciphered: random-UID cards hide it otherwise)."""
    return channel.send(Command.GET_CARD_UID, mode=CommMode.FULL, lengths=layout.UID_LENGTHS)


def read_secure(transport: Transport, keys: layout.ReadKeys) -> SecureRead:
    """Read a badge of the site; `SecureReadError` with the reason if it does not prove
    itself at every step."""
    try:
        return _read(transport, keys)
    except CardError as exc:
        raise SecureReadError(exc.reason, exc.detail) from exc
    except CardGone as exc:
        raise SecureReadError(ReadFailure.BAD_READ, f"card gone mid-way: {exc}") from exc


def _read(transport: Transport, keys: layout.ReadKeys) -> SecureRead:
    generation = get_version(transport)
    select_application(transport, keys.aid)
    uid = layout.parse_uid_file(read_plain(transport, layout.UID_FILE, layout.UID_FILE_SIZE))
    channel = authenticate(transport, generation, layout.READ_KEY_NO, keys.read_key(uid))
    real_uid = get_card_uid(channel)
    if not hmac.compare_digest(real_uid, uid):
        raise auth_failed("the card's real UID is not the one its file 0 holds")
    header = data_header(layout.CREDENTIAL_FILE, 0, layout.CREDENTIAL_FILE_SIZE)
    content = channel.send(
        Command.READ_DATA, header, mode=CommMode.FULL, lengths=(layout.CREDENTIAL_FILE_SIZE,)
    )
    value = layout.parse_credential_file(content)
    return SecureRead(Credential(CredentialKind.SECURE, value), real_uid, generation)
