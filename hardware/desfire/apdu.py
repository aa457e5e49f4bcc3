"""DESFire native commands wrapped in ISO/IEC 7816-4 APDUs, and their answers.

A command goes as ``90 INS 00 00 [Lc data] 00`` and comes back as ``data 91 SW2``
(DESFire EV1/EV2/EV3 datasheets, "ISO/IEC 7816-4 wrapping of native commands").
Anything else (an ISO status such as ``6E 00``, fewer than two bytes, a length
outside what the command gives) is a bad read, said in so many words.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Protocol

from hardware.desfire.errors import CardError, auth_failed, bad_read

CLA = 0x90
SW1_DESFIRE = 0x91
MAX_FRAMES = 16  # a card answering 91 AF for ever is a bad read, not a hang
MAX_ANSWER = 1024  # more than any answer of ours (GetVersion: 28 bytes)


class Transport(Protocol):
    """What carries APDUs to the card: a PC/SC reader, nfcpy, a test's card."""

    def transmit(self, apdu: bytes) -> bytes:
        """Send one command APDU; return the response data followed by SW1 SW2.

        Raises `CardGone` when the card or the reader is no longer there.
        """
        ...


class Command(enum.IntEnum):
    GET_VERSION = 0x60
    SELECT_APPLICATION = 0x5A
    AUTHENTICATE_EV2_FIRST = 0x71
    AUTHENTICATE_AES = 0xAA  # EV1
    ADDITIONAL_FRAME = 0xAF
    GET_CARD_UID = 0x51
    READ_DATA = 0xBD
    WRITE_DATA = 0x3D
    CREATE_APPLICATION = 0xCA
    CREATE_STD_DATA_FILE = 0xCD
    CHANGE_KEY = 0xC4
    FORMAT_PICC = 0xFC


class Status(enum.IntEnum):
    """SW2 of a ``91 xx`` answer (the native status code)."""

    OK = 0x00
    NO_CHANGES = 0x0C
    OUT_OF_MEMORY = 0x0E
    ILLEGAL_COMMAND = 0x1C
    INTEGRITY_ERROR = 0x1E
    NO_SUCH_KEY = 0x40
    LENGTH_ERROR = 0x7E
    PERMISSION_DENIED = 0x9D
    PARAMETER_ERROR = 0x9E
    APPLICATION_NOT_FOUND = 0xA0
    APPLICATION_INTEGRITY_ERROR = 0xA1
    AUTHENTICATION_ERROR = 0xAE
    ADDITIONAL_FRAME = 0xAF
    BOUNDARY_ERROR = 0xBE
    PICC_INTEGRITY_ERROR = 0xC1
    COMMAND_ABORTED = 0xCA
    PICC_DISABLED = 0xCD
    COUNT_ERROR = 0xCE
    DUPLICATE_ERROR = 0xDE
    EEPROM_ERROR = 0xEE
    FILE_NOT_FOUND = 0xF0
    FILE_INTEGRITY_ERROR = 0xF1


# Statuses by which a card refuses to prove itself (no application, wrong key,
# a secure-messaging check it failed): the card is not one of ours, not a glitch.
AUTH_STATUSES = frozenset(
    {
        Status.AUTHENTICATION_ERROR,
        Status.APPLICATION_NOT_FOUND,
        Status.PERMISSION_DENIED,
        Status.NO_SUCH_KEY,
        Status.FILE_NOT_FOUND,
        Status.INTEGRITY_ERROR,
    }
)


def wrap(command: int, data: bytes = b"") -> bytes:
    """The ISO 7816-4 APDU of a native command (Lc only when there is data)."""
    if len(data) > 255:
        raise ValueError(f"command data of {len(data)} bytes does not fit a short APDU")
    body = bytes([len(data)]) + data if data else b""
    return bytes([CLA, command, 0x00, 0x00]) + body + b"\x00"


@dataclass(frozen=True, slots=True)
class Answer:
    status: Status
    data: bytes


def parse(command: int, raw: bytes) -> Answer:
    """Split an R-APDU into status and data; `CardError` on anything not DESFire."""
    name = command_name(command)
    if not raw:  # what a PC/SC reader hands back when the card left mid-command
        raise bad_read(f"{name}: no answer (the card left the field?)")
    if len(raw) < 2:
        raise bad_read(f"{name}: answer of {len(raw)} byte(s), shorter than a status word")
    sw1, sw2 = raw[-2], raw[-1]
    if sw1 != SW1_DESFIRE:
        raise bad_read(f"{name}: status {sw1:02X}{sw2:02X}, not a DESFire answer (91xx)")
    try:
        status = Status(sw2)
    except ValueError:
        raise bad_read(f"{name}: unknown status 91{sw2:02X}") from None
    return Answer(status, raw[:-2])


def refused(command: int, status: Status) -> CardError:
    """The error for a card that answered ``status`` where OK was expected."""
    detail = (
        f"{command_name(command)}: the card answered 91{status.value:02X} ({status.name.lower()})"
    )
    return auth_failed(detail) if status in AUTH_STATUSES else bad_read(detail)


def exchange(
    transport: Transport,
    command: int,
    data: bytes = b"",
    *,
    expect: Status = Status.OK,
    part_of: int | None = None,
) -> bytes:
    """One frame: send, check the status is ``expect``, return the data.

    ``part_of`` names the command an additional frame continues, for the errors.
    """
    name = command if part_of is None else part_of
    answer = parse(name, transport.transmit(wrap(command, data)))
    if answer.status != expect:
        raise refused(name, answer.status)
    return answer.data


def exchange_chained(transport: Transport, command: int, data: bytes = b"") -> bytes:
    """A command whose answer may come in several frames (91 AF, then AF for the next),
    returned whole once the card says 91 00."""
    answer = parse(command, transport.transmit(wrap(command, data)))
    collected = answer.data
    for _ in range(MAX_FRAMES):
        if answer.status != Status.ADDITIONAL_FRAME:
            break
        answer = parse(command, transport.transmit(wrap(Command.ADDITIONAL_FRAME)))
        collected += answer.data
        if len(collected) > MAX_ANSWER:
            raise bad_read(f"{command_name(command)}: answer longer than {MAX_ANSWER} bytes")
    else:
        raise bad_read(f"{command_name(command)}: more than {MAX_FRAMES} frames")
    if answer.status != Status.OK:
        raise refused(command, answer.status)
    return collected


def expect_length(command: int, data: bytes, *lengths: int) -> bytes:
    if len(data) not in lengths:
        wanted = " or ".join(str(n) for n in lengths)
        raise bad_read(f"{command_name(command)}: {len(data)} byte(s) of data, expected {wanted}")
    return data


def command_name(command: int) -> str:
    """The command's name for messages (lower case), or its code if it is not ours."""
    try:
        return Command(command).name.lower()
    except ValueError:
        return f"command {command:02X}"
