"""AuthenticateAES and the EV1 secure channel after it (DESFire EV1, or later cards
used the EV1 way).

EV1's AES secure messaging, as the EV1 datasheet has it and libfreefare implements
it, keeps one CBC IV for the whole session (zero after authentication):

- every command is CMACed from the IV (the CMAC becomes the IV) but the CMAC is not
  sent, except for data files in MAC mode, which the site's layout has none of;
- every answer ends with the first 8 bytes of CMAC(data || status) from the IV;
- an enciphered command is E(data || CRC32(command || header || data) || 00..),
  an enciphered answer E(data || CRC32(data || status) || 00..), no CMAC then.
"""

from __future__ import annotations

import hmac
import os

from hardware.desfire import crypto
from hardware.desfire.apdu import (
    Command,
    Status,
    Transport,
    command_name,
    exchange,
    exchange_chained,
    expect_length,
)
from hardware.desfire.channel import CommMode
from hardware.desfire.errors import auth_failed, bad_read

MAC_LENGTH = 8
CRC_LENGTH = 4


class Ev1Session:
    """The secure channel of one AuthenticateAES; see `Channel`."""

    def __init__(self, transport: Transport, session_key: bytes) -> None:
        self._transport = transport
        self._key = session_key
        self._iv = crypto.ZERO_IV
        self._open = True

    def __repr__(self) -> str:  # never show the session key
        return "Ev1Session()"

    def send(
        self,
        command: int,
        header: bytes = b"",
        data: bytes = b"",
        *,
        mode: CommMode,
        lengths: tuple[int, ...] = (0,),
    ) -> bytes:
        if mode is CommMode.FULL and data:
            crc = crypto.crc32(bytes([command]) + header + data)
            body = self._transmit(command, header + self._encipher(data + crc))
            expect_length(command, body, *(n + MAC_LENGTH for n in lengths))
            return expect_length(command, self._verify(command, body), *lengths)
        self._iv = crypto.cmac_chained(self._key, self._iv, bytes([command]) + header + data)
        body = self._transmit(command, header + data)
        if mode is CommMode.FULL and lengths != (0,):
            # The length first: a truncated answer is a bad read, not a wrong CRC.
            sizes = (len(crypto.pad_zeros(bytes(n + CRC_LENGTH))) for n in lengths)
            expect_length(command, body, *sizes)
            return self._decipher(command, body, lengths)
        expect_length(command, body, *(n + MAC_LENGTH for n in lengths))
        return expect_length(command, self._verify(command, body), *lengths)

    def change_key(self, key_no: int, new_key: bytes, version: int, old_key: bytes | None) -> None:
        key_data = new_key if old_key is None else crypto.xor(new_key, old_key)
        plain = key_data + bytes([version])
        plain += crypto.crc32(bytes([Command.CHANGE_KEY, key_no]) + plain)
        if old_key is not None:
            plain += crypto.crc32(new_key)
        body = self._transmit(Command.CHANGE_KEY, bytes([key_no]) + self._encipher(plain))
        if old_key is None:  # the session's own key: the card ends the session, no CMAC
            self._open = False
            expect_length(Command.CHANGE_KEY, body, 0)
            return
        expect_length(Command.CHANGE_KEY, body, MAC_LENGTH)
        self._verify(Command.CHANGE_KEY, body)

    def _transmit(self, command: int, payload: bytes) -> bytes:
        if not self._open:
            raise bad_read("the EV1 session has ended (key changed)")
        return exchange_chained(self._transport, command, payload)

    def _encipher(self, plain: bytes) -> bytes:
        enciphered = crypto.cbc_encrypt(self._key, self._iv, crypto.pad_zeros(plain))
        self._iv = enciphered[-crypto.BLOCK :]
        return enciphered

    def _verify(self, command: int, body: bytes) -> bytes:
        if len(body) < MAC_LENGTH:
            raise bad_read(f"{command_name(command)}: answer of {len(body)} byte(s), no CMAC")
        answer, mac = body[:-MAC_LENGTH], body[-MAC_LENGTH:]
        self._iv = crypto.cmac_chained(self._key, self._iv, answer + bytes([Status.OK]))
        if not hmac.compare_digest(self._iv[:MAC_LENGTH], mac):
            raise auth_failed(f"{command_name(command)}: wrong CMAC on the card's answer")
        return answer

    def _decipher(self, command: int, body: bytes, lengths: tuple[int, ...]) -> bytes:
        name = command_name(command)
        if not body or len(body) % crypto.BLOCK:
            raise bad_read(f"{name}: enciphered answer of {len(body)} bytes")
        plain = crypto.cbc_decrypt(self._key, self._iv, body)
        self._iv = body[-crypto.BLOCK :]
        # The length is known (one of `lengths`): data, CRC, zeros, nothing to guess.
        for length in lengths:
            if len(crypto.pad_zeros(bytes(length + CRC_LENGTH))) != len(plain):
                continue
            data, crc = plain[:length], plain[length : length + CRC_LENGTH]
            padding = plain[length + CRC_LENGTH :]
            expected = crypto.crc32(data + bytes([Status.OK]))
            if hmac.compare_digest(crc, expected) and not any(padding):
                return data
        raise auth_failed(f"{name}: the deciphered answer's CRC32 or padding is wrong")


def authenticate_aes(
    transport: Transport, key_no: int, key: bytes, *, rnd_a: bytes | None = None
) -> Ev1Session:
    """EV1 mutual authentication with ``key``; `CardError` unless the card proves it.

    The CBC IV runs through the three frames: E(RndB) from zero, E(RndA || RndB')
    from E(RndB), E(RndA') from the last block the reader sent.
    """
    name = Command.AUTHENTICATE_AES
    enc_rnd_b = exchange(transport, name, bytes([key_no]), expect=Status.ADDITIONAL_FRAME)
    expect_length(name, enc_rnd_b, crypto.BLOCK)
    rnd_b = crypto.cbc_decrypt(key, crypto.ZERO_IV, enc_rnd_b)
    rnd_a = os.urandom(crypto.BLOCK) if rnd_a is None else rnd_a
    token = crypto.cbc_encrypt(key, enc_rnd_b, rnd_a + crypto.rotate_left(rnd_b))
    answer = exchange(transport, Command.ADDITIONAL_FRAME, token, part_of=name)
    expect_length(name, answer, crypto.BLOCK)
    rnd_a_rotated = crypto.cbc_decrypt(key, token[-crypto.BLOCK :], answer)
    if not hmac.compare_digest(crypto.rotate_right(rnd_a_rotated), rnd_a):
        raise auth_failed("authenticate_aes: the card's RndA' does not match")
    return Ev1Session(transport, crypto.ev1_session_key(rnd_a, rnd_b))
