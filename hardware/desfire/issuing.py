"""Personalising a blank card for the site (`issue`) and returning it to blank
(`format_card`), with the site's full keys (the site server only).

A blank card has an AES PICC master key of 16 zero bytes and allows
CreateApplication. `issue` changes the PICC master key last, so a card that failed
half-way keeps its zero PICC key and `format_card` can always clean it up.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hardware.desfire import layout
from hardware.desfire.apdu import Command, Transport
from hardware.desfire.card import (
    Generation,
    authenticate,
    data_header,
    get_card_uid,
    get_version,
    read_plain,
    select_application,
)
from hardware.desfire.channel import Channel, CommMode
from hardware.desfire.errors import CardError, CardGone, IssueError
from hardware.desfire.layout import KeyPurpose, SiteKeys
from station.credential import ReadFailure

T = TypeVar("T")
CHUNK = 16  # enciphered writes in 16-byte pieces keep every APDU within one frame
NOT_BLANK = "the card is not blank: its PICC master key is not the zero AES key"
NOT_OURS = "the PICC master key is neither this site's nor the blank zero key"


def issue(transport: Transport, keys: SiteKeys, value: bytes) -> bytes:
    """Personalise a blank card with credential ``value`` (16 bytes); return its real UID.

    `IssueError` if the card is not blank, not a DESFire EV1/2/3, or fails a step.
    """
    layout.credential_file(value)  # a wrong value is the caller's error, before any write
    return _guarded(lambda: _issue(transport, keys, value))


def format_card(transport: Transport, keys: SiteKeys) -> None:
    """Erase every application and set the PICC master key back to the blank zero key.

    Works on cards issued by this site and on blank cards; `IssueError` otherwise.
    """
    _guarded(lambda: _format(transport, keys))


def _guarded(operation: Callable[[], T]) -> T:
    try:
        return operation()
    except CardError as exc:
        raise IssueError(exc.reason, exc.detail) from exc
    except CardGone as exc:
        raise IssueError(ReadFailure.BAD_READ, f"card gone mid-way: {exc}") from exc


def _issue(transport: Transport, keys: SiteKeys, value: bytes) -> bytes:
    generation = get_version(transport)
    select_application(transport, layout.PICC_AID)
    picc = _authenticate_blank(transport, generation, NOT_BLANK)
    uid = get_card_uid(picc)
    settings = bytes([layout.APP_KEY_SETTINGS, layout.APP_KEYS])
    picc.send(Command.CREATE_APPLICATION, keys.aid + settings, mode=CommMode.MAC)

    select_application(transport, keys.aid)
    app = authenticate(transport, generation, layout.APP_MASTER_KEY_NO, layout.BLANK_KEY)
    read_key = keys.key(KeyPurpose.READ, uid)
    app.change_key(layout.READ_KEY_NO, read_key, layout.KEY_VERSION, layout.BLANK_KEY)
    _create_file(
        app, layout.UID_FILE, layout.CommSetting.PLAIN, layout.UID_FILE_RIGHTS, layout.UID_FILE_SIZE
    )
    _create_file(
        app,
        layout.CREDENTIAL_FILE,
        layout.CommSetting.FULL,
        layout.CREDENTIAL_FILE_RIGHTS,
        layout.CREDENTIAL_FILE_SIZE,
    )
    header = data_header(layout.UID_FILE, 0, layout.UID_FILE_SIZE)
    app.send(Command.WRITE_DATA, header, layout.uid_file(uid), mode=CommMode.PLAIN)
    content = layout.credential_file(value)
    for offset in range(0, len(content), CHUNK):
        header = data_header(layout.CREDENTIAL_FILE, offset, CHUNK)
        app.send(Command.WRITE_DATA, header, content[offset : offset + CHUNK], mode=CommMode.FULL)
    master_key = keys.key(KeyPurpose.APP_MASTER, uid)
    app.change_key(layout.APP_MASTER_KEY_NO, master_key, layout.KEY_VERSION, None)

    select_application(transport, layout.PICC_AID)
    picc = _authenticate_blank(transport, generation, NOT_BLANK)
    picc_key = keys.key(KeyPurpose.PICC, uid)
    picc.change_key(layout.PICC_KEY_NO, picc_key, layout.KEY_VERSION, None)
    return uid


def _authenticate_blank(transport: Transport, generation: Generation, why: str) -> Channel:
    """Authenticate with the blank PICC master key; ``why`` explains a refusal."""
    try:
        return authenticate(transport, generation, 0, layout.BLANK_KEY)
    except CardError as exc:
        if exc.reason is not ReadFailure.AUTH_FAILED:
            raise
        raise CardError(exc.reason, f"{why} ({exc.detail})") from exc


def _create_file(
    app: Channel, file_no: int, comm: layout.CommSetting, rights: bytes, size: int
) -> None:
    parameters = bytes([file_no, comm]) + rights + size.to_bytes(3, "little")
    app.send(Command.CREATE_STD_DATA_FILE, parameters, mode=CommMode.MAC)


def _format(transport: Transport, keys: SiteKeys) -> None:
    generation = get_version(transport)
    uid = _issued_uid(transport, keys)
    select_application(transport, layout.PICC_AID)
    if uid is not None:
        try:
            picc = authenticate(transport, generation, 0, keys.key(KeyPurpose.PICC, uid))
        except CardError as exc:
            if exc.reason is not ReadFailure.AUTH_FAILED:
                raise
        else:  # back to the blank key first: a later failure leaves a formattable card
            picc.change_key(layout.PICC_KEY_NO, layout.BLANK_KEY, 0x00, None)
    picc = _authenticate_blank(transport, generation, NOT_OURS)
    picc.send(Command.FORMAT_PICC, mode=CommMode.MAC)


def _issued_uid(transport: Transport, keys: SiteKeys) -> bytes | None:
    """The UID in the site application's file 0, or None if there is no such file."""
    try:
        select_application(transport, keys.aid)
        return layout.parse_uid_file(read_plain(transport, layout.UID_FILE, layout.UID_FILE_SIZE))
    except CardError:
        return None  # no application, or a half-issued one: the blank key must do
