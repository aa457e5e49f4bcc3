"""AuthenticateEV2First and the EV2 secure channel after it (DESFire EV2/EV3).

As NXP's AN12196 (NTAG 424 DNA) and AN12343 (DESFire Light) work it through; the
same secure messaging as DESFire EV2's:

- the command MAC is MACt(SesAuthMACKey, Cmd || CmdCtr || TI || header || data),
  the answer's MACt(SesAuthMACKey, RC || CmdCtr + 1 || TI || data);
- FULL mode enciphers the command data (not the header) under
  E(SesAuthENCKey, A55A || TI || CmdCtr || 0^8), the answer's data under
  E(SesAuthENCKey, 5AA5 || TI || CmdCtr + 1 || 0^8), padding 80 00..;
- CmdCtr counts every command of the session, PLAIN ones included.
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
CAPABILITIES = 0x00  # LenCap: no PCDcap2 sent


class Ev2Session:
    """The secure channel of one AuthenticateEV2First; see `Channel`."""

    def __init__(self, transport: Transport, enc_key: bytes, mac_key: bytes, ti: bytes) -> None:
        self._transport = transport
        self._enc_key = enc_key
        self._mac_key = mac_key
        self.ti = ti
        self.counter = 0
        self._open = True

    def __repr__(self) -> str:  # never show the session keys
        return f"Ev2Session(ti={self.ti.hex().upper()}, counter={self.counter})"

    def send(
        self,
        command: int,
        header: bytes = b"",
        data: bytes = b"",
        *,
        mode: CommMode,
        lengths: tuple[int, ...] = (0,),
    ) -> bytes:
        body = self._transmit(command, header, data, mode)
        if mode is CommMode.PLAIN:
            return expect_length(command, body, *lengths)
        # The length first: a truncated answer is a bad read, not a wrong MAC.
        expect_length(command, body, *(_framed(mode, length) for length in lengths))
        answer = self._verify(command, body)
        if mode is CommMode.FULL and answer:
            answer = self._decipher(command, answer)
        return expect_length(command, answer, *lengths)

    def change_key(self, key_no: int, new_key: bytes, version: int, old_key: bytes | None) -> None:
        if old_key is None:  # the session's own key: the card ends the session, no MAC
            body = self._transmit(
                Command.CHANGE_KEY, bytes([key_no]), new_key + bytes([version]), CommMode.FULL
            )
            self._open = False
            expect_length(Command.CHANGE_KEY, body, 0)
            return
        cryptogram = crypto.xor(new_key, old_key) + bytes([version]) + crypto.crc32(new_key)
        self.send(Command.CHANGE_KEY, bytes([key_no]), cryptogram, mode=CommMode.FULL)

    def command_apdu(self, command: int, header: bytes, data: bytes, mode: CommMode) -> bytes:
        """The data field of a protected command (without sending it), for NXP's vectors."""
        if not self._open:
            raise bad_read("the EV2 session has ended (key changed)")
        if mode is CommMode.PLAIN:
            return header + data
        if mode is CommMode.FULL and data:
            iv = crypto.ev2_iv(self._enc_key, crypto.IV_COMMAND, self.ti, self.counter)
            data = crypto.cbc_encrypt(self._enc_key, iv, crypto.pad_m2(data))
        mac_input = bytes([command]) + self._counter_bytes() + self.ti + header + data
        return header + data + crypto.ev2_mac(self._mac_key, mac_input)

    def _transmit(self, command: int, header: bytes, data: bytes, mode: CommMode) -> bytes:
        payload = self.command_apdu(command, header, data, mode)
        body = exchange_chained(self._transport, command, payload)
        self.counter += 1
        return body

    def _verify(self, command: int, body: bytes) -> bytes:
        if len(body) < MAC_LENGTH:
            raise bad_read(f"{command_name(command)}: answer of {len(body)} byte(s), no MAC")
        answer, mac = body[:-MAC_LENGTH], body[-MAC_LENGTH:]
        mac_input = bytes([Status.OK]) + self._counter_bytes() + self.ti + answer
        if not hmac.compare_digest(crypto.ev2_mac(self._mac_key, mac_input), mac):
            raise auth_failed(f"{command_name(command)}: wrong MAC on the card's answer")
        return answer

    def _decipher(self, command: int, answer: bytes) -> bytes:
        if len(answer) % crypto.BLOCK:
            raise bad_read(f"{command_name(command)}: enciphered data of {len(answer)} bytes")
        iv = crypto.ev2_iv(self._enc_key, crypto.IV_RESPONSE, self.ti, self.counter)
        try:
            return crypto.unpad_m2(crypto.cbc_decrypt(self._enc_key, iv, answer))
        except ValueError as exc:
            raise auth_failed(f"{command_name(command)}: {exc} in the deciphered answer") from None

    def _counter_bytes(self) -> bytes:
        return self.counter.to_bytes(2, "little")


def _framed(mode: CommMode, length: int) -> int:
    """The size of an answer of ``length`` data bytes in ``mode``, MAC included."""
    if mode is CommMode.FULL and length:
        return len(crypto.pad_m2(bytes(length))) + MAC_LENGTH
    return length + MAC_LENGTH


def authenticate_ev2_first(
    transport: Transport, key_no: int, key: bytes, *, rnd_a: bytes | None = None
) -> Ev2Session:
    """Mutual authentication with ``key``; `CardError` unless the card proves it holds it.

    ``rnd_a`` is for NXP's worked examples only; a real exchange draws it at random.
    """
    name = Command.AUTHENTICATE_EV2_FIRST
    enc_rnd_b = exchange(
        transport, name, bytes([key_no, CAPABILITIES]), expect=Status.ADDITIONAL_FRAME
    )
    expect_length(name, enc_rnd_b, crypto.BLOCK)
    rnd_b = crypto.cbc_decrypt(key, crypto.ZERO_IV, enc_rnd_b)
    rnd_a = os.urandom(crypto.BLOCK) if rnd_a is None else rnd_a
    token = crypto.cbc_encrypt(key, crypto.ZERO_IV, rnd_a + crypto.rotate_left(rnd_b))
    answer = exchange(transport, Command.ADDITIONAL_FRAME, token, part_of=name)
    expect_length(name, answer, 2 * crypto.BLOCK)
    plain = crypto.cbc_decrypt(key, crypto.ZERO_IV, answer)
    ti, rnd_a_rotated = plain[0:4], plain[4:20]  # then PDcap2 and PCDcap2, 6 bytes each
    if not hmac.compare_digest(crypto.rotate_right(rnd_a_rotated), rnd_a):
        raise auth_failed("authenticate_ev2_first: the card's RndA' does not match")
    enc_key, mac_key = crypto.ev2_session_keys(key, rnd_a, rnd_b)
    return Ev2Session(transport, enc_key, mac_key, ti)
