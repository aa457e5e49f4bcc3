"""The card side of DESFire's two secure channels, for the virtual card (desfire_card.py).

`Ev2Channel`: after AuthenticateEV2First (AN12196, AN12343): a transaction identifier TI,
a command counter CmdCtr (incremented by every command answered in the session),
SesAuthMACKey for the truncated CMACs (MACt over Cmd || CmdCtr || TI || header || data,
answers over RC || CmdCtr || TI || data) and SesAuthENCKey for CBC with an IV made from
A55A / 5AA5 || TI || CmdCtr, data padded 80 00...

`Ev1Channel`: after the legacy AuthenticateAES: one session key and one IV carried from
message to message. Every command updates the IV with its CMAC (sent only by writes in
MAC mode); every 91 00 answer carries the first 8 bytes of the CMAC of data || 00, or,
in FULL mode, is data || CRC32(data || 00) padded with zeros and encrypted.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from tests.support import desfire_crypto as dc


class Status(enum.IntEnum):
    """SW2 of the native status (SW1 is 0x91), as a real card answers."""

    OK = 0x00
    NO_CHANGES = 0x0C
    OUT_OF_EEPROM = 0x0E
    ILLEGAL_COMMAND = 0x1C
    INTEGRITY_ERROR = 0x1E
    NO_SUCH_KEY = 0x40
    LENGTH_ERROR = 0x7E
    PERMISSION_DENIED = 0x9D
    PARAMETER_ERROR = 0x9E
    APPLICATION_NOT_FOUND = 0xA0
    AUTHENTICATION_ERROR = 0xAE
    ADDITIONAL_FRAME = 0xAF
    BOUNDARY_ERROR = 0xBE
    COMMAND_ABORTED = 0xCA
    DUPLICATE_ERROR = 0xDE
    FILE_NOT_FOUND = 0xF0


class CardError(Exception):
    """A command refused with this status (the card then ends any session)."""

    def __init__(self, status: Status, why: str = "") -> None:
        super().__init__(f"{status.name}: {why}" if why else status.name)
        self.status = status


class CommMode(enum.IntEnum):
    """A file's communication settings byte (02 is plain too on EV1)."""

    PLAIN = 0x00
    MAC = 0x01
    FULL = 0x03


class Scheme(enum.StrEnum):
    EV2 = "ev2"
    EV1 = "ev1"


@dataclass
class Ev2Channel:
    key_no: int
    enc_key: bytes
    mac_key: bytes
    ti: bytes
    counter: int = 0
    scheme: Scheme = Scheme.EV2

    def command(self, ins: int, body: bytes, mode: CommMode, mac_sent: bool = False) -> bytes:
        """The command's plain bytes after its MACt is checked (MAC mode) or as they came."""
        del mac_sent  # EV2 sends the MACt with every command in MAC mode
        if mode == CommMode.PLAIN:
            return body
        return self._checked(ins, body)

    def command_full(self, ins: int, header: bytes, rest: bytes, length: int | None) -> bytes:
        """Check the MACt over header || E(data), decrypt and unpad E(data)."""
        cipher = self._checked(ins, header + rest)[len(header) :]
        if not cipher:
            return b""
        plain = self._unpad(dc.decrypt(self.enc_key, self._iv(b"\xa5\x5a", self.counter), cipher))
        if length is not None and len(plain) != length:
            raise CardError(Status.LENGTH_ERROR, f"{len(plain)} data bytes, header says {length}")
        return plain

    def change_key_data(self, ins: int, header: bytes, rest: bytes) -> bytes:
        """ChangeKey's cryptogram, decrypted, still padded (its layout depends on the key)."""
        cipher = self._checked(ins, header + rest)[len(header) :]
        if len(cipher) != 32:
            raise CardError(Status.LENGTH_ERROR, f"ChangeKey cryptogram of {len(cipher)} bytes")
        return dc.decrypt(self.enc_key, self._iv(b"\xa5\x5a", self.counter), cipher)

    def answer(self, data: bytes, mode: CommMode) -> bytes:
        self.counter += 1
        if mode == CommMode.PLAIN:
            return data
        if mode == CommMode.FULL and data:
            data = dc.encrypt(self.enc_key, self._iv(b"\x5a\xa5", self.counter), dc.pad(data))
        return data + self._mac(b"\x00", data)

    def _checked(self, ins: int, body: bytes) -> bytes:
        if len(body) < 8:
            raise CardError(Status.LENGTH_ERROR, "no MACt")
        message, mac = body[:-8], body[-8:]
        if mac != self._mac(bytes([ins]), message):
            raise CardError(Status.INTEGRITY_ERROR, "wrong MACt")
        return message

    def _mac(self, code: bytes, data: bytes) -> bytes:
        counter = self.counter.to_bytes(2, "little")
        return dc.mac_t(dc.cmac(self.mac_key, code + counter + self.ti + data))

    def _iv(self, label: bytes, counter: int) -> bytes:
        block = label + self.ti + counter.to_bytes(2, "little") + bytes(8)
        return dc.encrypt(self.enc_key, dc.ZERO_IV, block)

    @staticmethod
    def _unpad(plain: bytes) -> bytes:
        try:
            return dc.unpad(plain)
        except ValueError as error:
            raise CardError(Status.INTEGRITY_ERROR, str(error)) from None


@dataclass
class Ev1Channel:
    key_no: int
    key: bytes
    iv: bytes = dc.ZERO_IV
    scheme: Scheme = Scheme.EV1

    def command(self, ins: int, body: bytes, mode: CommMode, mac_sent: bool = False) -> bytes:
        """Update the IV with the command's CMAC; check it too when the reader sent it."""
        if not mac_sent or mode != CommMode.MAC:
            self._cmac(bytes([ins]) + body)
            return body
        if len(body) < 8:
            raise CardError(Status.LENGTH_ERROR, "no CMAC")
        message, mac = body[:-8], body[-8:]
        if self._cmac(bytes([ins]) + message)[:8] != mac:
            raise CardError(Status.INTEGRITY_ERROR, "wrong CMAC")
        return message

    def command_full(self, ins: int, header: bytes, rest: bytes, length: int | None) -> bytes:
        """Decrypt data || CRC32(cmd || header || data) || 00 padding (a read: CMAC only)."""
        if not rest:
            self._cmac(bytes([ins]) + header)
            return b""
        plain = self._decrypt(rest)
        size = len(plain) - 4 if length is None else length
        data, crc, padding = plain[:size], plain[size : size + 4], plain[size + 4 :]
        if len(crc) != 4 or crc != dc.crc32(bytes([ins]) + header + data) or any(padding):
            raise CardError(Status.INTEGRITY_ERROR, "wrong CRC32 or padding")
        return data

    def change_key_data(self, ins: int, header: bytes, rest: bytes) -> bytes:
        del ins, header
        if len(rest) != 32:
            raise CardError(Status.LENGTH_ERROR, f"ChangeKey cryptogram of {len(rest)} bytes")
        return self._decrypt(rest)

    def answer(self, data: bytes, mode: CommMode) -> bytes:
        if mode == CommMode.FULL and data:
            plain = data + dc.crc32(data + b"\x00")
            plain += bytes(-len(plain) % dc.BLOCK)
            cipher = dc.encrypt(self.key, self.iv, plain)
            self.iv = cipher[-dc.BLOCK :]
            return cipher
        return data + self._cmac(data + b"\x00")[:8]

    def _cmac(self, message: bytes) -> bytes:
        self.iv = dc.cmac_chained(self.key, self.iv, message)
        return self.iv

    def _decrypt(self, cipher: bytes) -> bytes:
        if not cipher or len(cipher) % dc.BLOCK:
            raise CardError(Status.LENGTH_ERROR, f"cryptogram of {len(cipher)} bytes")
        plain = dc.decrypt(self.key, self.iv, cipher)
        self.iv = cipher[-dc.BLOCK :]
        return plain


Channel = Ev2Channel | Ev1Channel
