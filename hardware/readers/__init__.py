"""Badge readers, chosen by a device path string in the nfcpy style.

=============================  ==================================================
``sim:ID``                     simulated; tapped with ``station reader tap``
``pcsc:PATTERN``               first PC/SC reader whose name matches PATTERN
``nfc:usb[:VID:PID]``          nfcpy on a USB reader (PN533, ACR122U, RC-S380)
``nfc:tty:AMA0:pn532``         nfcpy on a PN532 board on a Raspberry Pi's UART
``nfc:udp[:HOST:PORT]``        nfcpy's simulated radio (tests)
``keyboard:/dev/input/...``    keyboard-wedge reader through evdev
``keyboard:stdin``             keyboard-wedge reader typing into standard input
=============================  ==================================================
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from hardware.exc import UnknownReaderPath
from hardware.readers.base import (
    BadgePresented,
    BadgeRemoved,
    BadRead,
    EventSink,
    Reader,
    ReaderEvent,
    ReaderState,
)
from station.config.reader import ReaderConfig
from station.desfire_keys import DesfireKeyError, load_read_keys

if TYPE_CHECKING:
    from hardware.desfire import ReadKeys

__all__ = [
    "BadRead",
    "BadgePresented",
    "BadgeRemoved",
    "EventSink",
    "Reader",
    "ReaderEvent",
    "ReaderState",
    "open_reader",
]

SCHEMES = ("sim", "pcsc", "nfc", "keyboard")


def open_reader(
    reader_id: str,
    config: ReaderConfig,
    on_event: EventSink,
    *,
    sim_socket: Path | None = None,
    keys_dir: Path | None = None,
) -> Reader:
    """A reader for ``config.path``, not yet started (call `Reader.start`).

    ``sim_socket`` is where a simulated reader listens for ``station reader tap``
    (``StationConfig.sim_socket(reader_id)``); other backends ignore it. ``keys_dir``
    (``StationConfig.keys_dir``) is where a relative ``desfire_keys`` is found; the
    key file is read here, so that a missing or too open one stops the start with
    its reason (`DesfireKeyError`).
    """
    scheme, _, rest = config.path.partition(":")
    if scheme not in SCHEMES or not rest.strip():
        raise UnknownReaderPath(
            f"reader {reader_id!r}: unknown reader path {config.path!r}; expected "
            "'sim:ID', 'pcsc:NAME-PATTERN', 'nfc:usb', 'nfc:tty:AMA0:pn532', "
            "'nfc:udp:127.0.0.1:54321', 'keyboard:/dev/input/...' or 'keyboard:stdin'"
        )
    if scheme == "sim":
        from hardware.readers.sim import SimReader

        return SimReader(reader_id, config, on_event, socket_path=sim_socket)
    if scheme == "pcsc":
        from hardware.readers.pcsc import PcscReader

        keys = _read_keys(reader_id, config, keys_dir) if config.desfire_keys else None
        return PcscReader(reader_id, config, on_event, pattern=rest, read_keys=keys)
    if scheme == "nfc":
        if rest.split(":")[0] not in ("usb", "tty", "udp", "i2c"):
            raise UnknownReaderPath(
                f"reader {reader_id!r}: unknown nfc device {rest!r}; expected 'usb[:VID:PID]', "
                "'tty:AMA0:pn532', 'i2c:...:pn532' or 'udp[:HOST:PORT]'"
            )
        from hardware.readers.nfc import NfcReader

        keys = _read_keys(reader_id, config, keys_dir) if config.desfire_keys else None
        return NfcReader(reader_id, config, on_event, device=rest, read_keys=keys)
    if rest != "stdin" and not rest.startswith("/"):
        raise UnknownReaderPath(
            f"reader {reader_id!r}: unknown keyboard device {rest!r}; "
            "expected 'stdin' or an absolute path such as "
            "/dev/input/by-id/...-event-kbd"
        )
    from hardware.readers.keyboard import KeyboardReader

    return KeyboardReader(reader_id, config, on_event, device=rest)


def _read_keys(reader_id: str, config: ReaderConfig, keys_dir: Path | None) -> ReadKeys:
    from hardware.desfire import ReadKeys

    path = Path(config.desfire_keys)
    if not path.is_absolute():
        if keys_dir is None:
            raise DesfireKeyError(
                f"reader {reader_id!r}: desfire_keys {config.desfire_keys!r} is relative "
                "and no keys directory was given; expected an absolute path"
            )
        path = keys_dir / path
    loaded = load_read_keys(path)
    return ReadKeys(
        read_master=loaded.read_master, aid=loaded.aid_wire, system_id=loaded.system_id_bytes
    )
