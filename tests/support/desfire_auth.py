"""The virtual DESFire card's authentications and ChangeKey cryptograms (desfire_card.py).

AuthenticateEV2First (AN12196 section 4.4 / AN12343): E(K, RndB) 91 AF; the reader's
E(K, RndA || RndB'); E(K, TI || RndA' || PDcap2 || PCDcap2) 91 00, all with a zero IV.
AuthenticateEV2NonFirst keeps TI and CmdCtr and answers E(K, RndA') only.
AuthenticateAES (EV1): the same three messages without TI and caps, the CBC IV carried
from each message to the next (the last cipher block), session key A0-3 B0-3 A12-15 B12-15.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from tests.support import desfire_crypto as dc
from tests.support.desfire_channel import (
    CardError,
    Channel,
    Ev1Channel,
    Ev2Channel,
    Scheme,
    Status,
)

Reply = tuple[bytes, Status]
EV1_GENERATION = 0x01


@dataclass
class Key:
    value: bytes
    version: int = 0

    def __repr__(self) -> str:
        return f"Key(version={self.version})"  # never the key itself


class Card(Protocol):
    channel: Channel | None
    rng: Callable[[int], bytes]

    @property
    def generation(self) -> int: ...

    def key(self, key_no: int) -> Key: ...

    def continue_with(self, step: Callable[[bytes], Reply]) -> None: ...


class Authenticator:
    def __init__(self, card: Card, fixed_rnd_b: bytes | None, fixed_ti: bytes | None) -> None:
        self.card = card
        self.fixed_rnd_b = fixed_rnd_b
        self.fixed_ti = fixed_ti

    def ev2_first(self, ins: int, body: bytes) -> Reply:
        self.card.channel = None
        if self.card.generation == EV1_GENERATION:
            raise CardError(Status.ILLEGAL_COMMAND, "an EV1 has no AuthenticateEV2First")
        if len(body) < 2 or len(body) != 2 + body[1] or body[1] > 6:
            raise CardError(Status.LENGTH_ERROR, "KeyNo, LenCap, PCDcap2")
        key_no, pcd_caps = body[0], body[2:].ljust(6, b"\x00")
        key = self.card.key(key_no).value
        rnd_b = self._rnd_b()

        def second(frame: bytes) -> Reply:
            rnd_a = self._rnd_a(key, dc.ZERO_IV, frame, rnd_b)
            ti = self.fixed_ti if self.fixed_ti is not None else self.card.rng(4)
            enc, mac = dc.ev2_session_keys(key, rnd_a, rnd_b)
            self.card.channel = Ev2Channel(key_no, enc, mac, ti)
            proof = ti + dc.rotate(rnd_a) + bytes(6) + pcd_caps
            return dc.encrypt(key, dc.ZERO_IV, proof), Status.OK

        self.card.continue_with(second)
        return dc.encrypt(key, dc.ZERO_IV, rnd_b), Status.ADDITIONAL_FRAME

    def ev2_non_first(self, ins: int, body: bytes) -> Reply:
        previous, self.card.channel = self.card.channel, None
        if not isinstance(previous, Ev2Channel):
            raise CardError(Status.AUTHENTICATION_ERROR, "NonFirst needs an EV2 session")
        if len(body) != 1:
            raise CardError(Status.LENGTH_ERROR, "KeyNo")
        key_no, key, rnd_b = body[0], self.card.key(body[0]).value, self._rnd_b()

        def second(frame: bytes) -> Reply:
            rnd_a = self._rnd_a(key, dc.ZERO_IV, frame, rnd_b)
            enc, mac = dc.ev2_session_keys(key, rnd_a, rnd_b)
            self.card.channel = Ev2Channel(key_no, enc, mac, previous.ti, previous.counter)
            return dc.encrypt(key, dc.ZERO_IV, dc.rotate(rnd_a)), Status.OK

        self.card.continue_with(second)
        return dc.encrypt(key, dc.ZERO_IV, rnd_b), Status.ADDITIONAL_FRAME

    def aes(self, ins: int, body: bytes) -> Reply:
        self.card.channel = None
        if len(body) != 1:
            raise CardError(Status.LENGTH_ERROR, "KeyNo")
        key_no, key, rnd_b = body[0], self.card.key(body[0]).value, self._rnd_b()
        challenge = dc.encrypt(key, dc.ZERO_IV, rnd_b)

        def second(frame: bytes) -> Reply:
            rnd_a = self._rnd_a(key, challenge, frame, rnd_b)
            self.card.channel = Ev1Channel(key_no, dc.ev1_session_key(rnd_a, rnd_b))
            return dc.encrypt(key, frame[-dc.BLOCK :], dc.rotate(rnd_a)), Status.OK

        self.card.continue_with(second)
        return challenge, Status.ADDITIONAL_FRAME

    def parse_new_key(self, plain: bytes, key_no: bytes, old: Key, same: bool) -> tuple[bytes, int]:
        """ChangeKey's new key and version out of its decrypted cryptogram, every CRC checked.

        EV2: NewKey || KeyVer (the key in use), else (NewKey ^ OldKey) || KeyVer ||
        CRC32(NewKey), padded 80 00... EV1: the same plus CRC32(C4 || KeyNo || the bytes
        before it) after KeyVer, padded with zeros.
        """
        channel = self.card.channel
        assert channel is not None  # ChangeKey checked the session first
        sent, version = plain[:16], plain[16]
        value = sent if same else bytes(a ^ b for a, b in zip(sent, old.value, strict=True))
        if channel.scheme == Scheme.EV2:
            expected = plain[:17] + (b"" if same else dc.crc32(value))
            good = plain == dc.pad(expected)
        else:
            expected = plain[:17] + dc.crc32(b"\xc4" + key_no + plain[:17])
            expected += b"" if same else dc.crc32(value)
            good = plain == expected.ljust(len(plain), b"\x00")
        if not good:
            raise CardError(Status.INTEGRITY_ERROR, "ChangeKey cryptogram: CRC or padding")
        return value, version

    def _rnd_b(self) -> bytes:
        return self.fixed_rnd_b if self.fixed_rnd_b is not None else self.card.rng(16)

    def _rnd_a(self, key: bytes, iv: bytes, frame: bytes, rnd_b: bytes) -> bytes:
        """RndA out of the reader's E(K, RndA || RndB'), once RndB' proves the reader's key."""
        if len(frame) != 32:
            raise CardError(Status.LENGTH_ERROR, f"{len(frame)} bytes, not 32")
        plain = dc.decrypt(key, iv, frame)
        if plain[16:] != dc.rotate(rnd_b):
            raise CardError(Status.AUTHENTICATION_ERROR, "RndB' does not match")
        return plain[:16]
