"""A badge reader's section: the kiosk's and each agent's (`[kiosks.<id>.reader]`,
`[agents.<id>.reader]`); the drivers in hardware/readers read it."""

from __future__ import annotations

from typing import Literal

from pydantic import field_validator, model_validator

from station.config.base import Section, doc


class ReaderConfig(Section):
    path: str = doc(
        "Reader device path in the nfcpy style: 'sim:ID', 'pcsc:NAME-PATTERN', "
        "'nfc:usb:072f:2200', 'nfc:tty:AMA0:pn532', 'nfc:udp:127.0.0.1:54321', "
        "'keyboard:/dev/input/by-id/...' or 'keyboard:stdin'.",
        "sim:front-door",
    )

    @field_validator("path")
    @classmethod
    def _known_path(cls, value: str) -> str:
        scheme, _, rest = value.partition(":")
        device = rest.split(":")[0]
        if (
            scheme not in {"sim", "pcsc", "nfc", "keyboard"}
            or not rest.strip()
            or (scheme == "nfc" and device not in {"usb", "tty", "udp", "i2c"})
            or (scheme == "keyboard" and rest != "stdin" and not rest.startswith("/"))
        ):
            raise ValueError(
                "a reader path: 'sim:ID', 'pcsc:NAME-PATTERN', 'nfc:usb[:VID:PID]', "
                "'nfc:tty:AMA0:pn532', 'nfc:udp[:HOST:PORT]', "
                "'keyboard:/dev/input/...' or 'keyboard:stdin'"
            )
        return value

    desfire_keys: str = doc(
        "The DESFire read key file: a PC/SC or nfc reader with it reads the site's secure "
        "badges (DESFire AES, docs/hardware.md) and other cards by their UID. A file name in the "
        "keys directory ([keys] dir, STATION_KEYS_DIR; `station deploy agent|kiosk` puts "
        "desfire-read.json there) or an absolute path. Empty: UIDs only.",
        "desfire-read.json",
        default="",
    )

    @model_validator(mode="after")
    def _secure_reads_need_apdus(self) -> ReaderConfig:
        if self.desfire_keys and not self.path.startswith(("pcsc:", "nfc:")):
            raise ValueError(
                "desfire_keys: only a PC/SC ('pcsc:NAME-PATTERN') or nfc ('nfc:usb', ...) "
                f"reader reads DESFire badges, not {self.path!r}; remove desfire_keys or "
                "use one of those"
            )
        return self

    debounce_s: float = doc(
        "The same badge presented again within this window is reported once.",
        1.5,
        default=1.5,
        ge=0,
    )
    sense_interval_s: float = doc(
        "Polling interval of the nfc backend (nfcpy's default is 0.5 s, too slow for a door).",
        0.1,
        default=0.1,
        gt=0,
        le=2,
    )
    uid_format: Literal["hex", "decimal"] = doc(
        "How a keyboard reader types the UID.", "hex", default="hex"
    )
    byte_order: Literal["msb", "lsb"] = doc(
        "Byte order a keyboard reader types the UID in ('lsb' reverses the bytes).",
        "msb",
        default="msb",
    )
    uid_length: int = doc(
        "UID length in bytes for decimal keyboard readers (0: as typed).", 4, default=0, ge=0, le=10
    )
