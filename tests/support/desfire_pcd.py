"""A bare reader side (PCD) for the virtual DESFire card's own tests.

Written again from the notes (AN12196 / AN12343 for EV2, libfreefare's account of the
EV1 AES scheme) with `cryptography` alone: neither the card's desfire_crypto.py nor
hardware.desfire, so that the card is checked by a computation it does not share.
Every check that fails raises AssertionError: a card answer the PCD does not accept.
"""

from __future__ import annotations

import binascii
import os
from collections.abc import Callable
from dataclasses import dataclass

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

Transmit = Callable[[bytes], bytes]
OK, MORE = 0x00, 0xAF


def cbc(key: bytes, iv: bytes, data: bytes, *, decrypt: bool = False) -> bytes:
    cipher = Cipher(algorithms.AES(key), modes.CBC(iv))
    context = cipher.decryptor() if decrypt else cipher.encryptor()
    return context.update(data) + context.finalize()


def aes_cmac(key: bytes, data: bytes) -> bytes:
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def ev1_cmac(key: bytes, iv: bytes, data: bytes) -> bytes:
    """CMAC over a CBC chain started at `iv` (EV1 carries the IV between messages)."""
    subkey = cbc(key, bytes(16), bytes(16))
    subkeys = []
    for _ in range(2):
        value = int.from_bytes(subkey, "big") << 1
        subkey = ((value ^ 0x87 if value >> 128 else value) & (2**128 - 1)).to_bytes(16, "big")
        subkeys.append(subkey)
    blocks = [data[i : i + 16] for i in range(0, max(len(data), 1), 16)]
    last = blocks[-1]
    if len(last) == 16:
        blocks[-1] = bytes(a ^ b for a, b in zip(last, subkeys[0], strict=True))
    else:
        padded = last + b"\x80" + bytes(15 - len(last))
        blocks[-1] = bytes(a ^ b for a, b in zip(padded, subkeys[1], strict=True))
    state = iv
    for block in blocks:
        state = cbc(key, bytes(16), bytes(a ^ b for a, b in zip(state, block, strict=True)))
    return state


def crc32(data: bytes) -> bytes:
    return (binascii.crc32(data) ^ 0xFFFFFFFF).to_bytes(4, "little")


def pad80(data: bytes) -> bytes:
    padded = data + b"\x80"
    return padded + bytes(-len(padded) % 16)


def rotl(data: bytes) -> bytes:
    return data[1:] + data[:1]


@dataclass
class Ev2Session:
    ti: bytes
    enc: bytes
    mac: bytes
    counter: int = 0

    def mact(self, code: int, data: bytes, counter: int) -> bytes:
        full = aes_cmac(self.mac, bytes([code]) + counter.to_bytes(2, "little") + self.ti + data)
        return full[1::2]

    def iv(self, label: bytes, counter: int) -> bytes:
        return cbc(self.enc, bytes(16), label + self.ti + counter.to_bytes(2, "little") + bytes(8))


@dataclass
class Ev1Session:
    key: bytes
    iv: bytes = bytes(16)

    def cmac(self, data: bytes) -> bytes:
        self.iv = ev1_cmac(self.key, self.iv, data)
        return self.iv


class Pcd:
    def __init__(self, transmit: Transmit) -> None:
        self.transmit = transmit

    def send(self, ins: int, data: bytes = b"") -> tuple[bytes, int]:
        apdu = bytes([0x90, ins, 0, 0]) + (bytes([len(data)]) + data if data else b"") + b"\x00"
        answer = self.transmit(apdu)
        assert len(answer) >= 2 and answer[-2] == 0x91, f"not a DESFire answer: {answer.hex()}"
        return answer[:-2], answer[-1]

    def ok(self, ins: int, data: bytes = b"", status: int = OK) -> bytes:
        answer, got = self.send(ins, data)
        assert got == status, f"{ins:02X}: status {got:02X}, expected {status:02X}"
        return answer

    def get_version(self) -> bytes:
        frames = [self.ok(0x60, status=MORE), self.ok(0xAF, status=MORE), self.ok(0xAF)]
        return b"".join(frames)

    def authenticate_ev2(self, key_no: int, key: bytes, rnd_a: bytes | None = None) -> Ev2Session:
        rnd_a = rnd_a or os.urandom(16)
        rnd_b = cbc(key, bytes(16), self.ok(0x71, bytes([key_no, 0]), MORE), decrypt=True)
        proof = self.ok(0xAF, cbc(key, bytes(16), rnd_a + rotl(rnd_b)))
        plain = cbc(key, bytes(16), proof, decrypt=True)
        assert plain[4:20] == rotl(rnd_a), "RndA' wrong: the card does not hold the key"
        tail = b"\x00\x01\x00\x80" + rnd_a[:2]
        tail += bytes(a ^ b for a, b in zip(rnd_a[2:8], rnd_b[:6], strict=True))
        tail += rnd_b[6:] + rnd_a[8:]
        return Ev2Session(
            plain[:4], aes_cmac(key, b"\xa5\x5a" + tail), aes_cmac(key, b"\x5a\xa5" + tail)
        )

    def authenticate_aes(self, key_no: int, key: bytes, rnd_a: bytes | None = None) -> Ev1Session:
        rnd_a = rnd_a or os.urandom(16)
        challenge = self.ok(0xAA, bytes([key_no]), MORE)
        rnd_b = cbc(key, bytes(16), challenge, decrypt=True)
        response = cbc(key, challenge, rnd_a + rotl(rnd_b))
        proof = cbc(key, response[-16:], self.ok(0xAF, response), decrypt=True)
        assert proof == rotl(rnd_a), "RndA' wrong: the card does not hold the key"
        return Ev1Session(rnd_a[:4] + rnd_b[:4] + rnd_a[12:] + rnd_b[12:])

    # ---- EV2 secure messaging -------------------------------------------------------------

    def ev2_mac(self, s: Ev2Session, ins: int, header: bytes, data: bytes = b"") -> bytes:
        """A command in MAC mode; the answer's data after its MACt is checked."""
        message = header + data
        answer = self.ok(ins, message + s.mact(ins, message, s.counter))
        s.counter += 1
        assert answer[-8:] == s.mact(OK, answer[:-8], s.counter), "answer MACt wrong"
        return answer[:-8]

    def ev2_full(self, s: Ev2Session, ins: int, header: bytes, data: bytes = b"") -> bytes:
        """A command in FULL mode; the answer decrypted, its MACt and padding checked."""
        cipher = cbc(s.enc, s.iv(b"\xa5\x5a", s.counter), pad80(data)) if data else b""
        answer = self.ok(ins, header + cipher + s.mact(ins, header + cipher, s.counter))
        s.counter += 1
        assert answer[-8:] == s.mact(OK, answer[:-8], s.counter), "answer MACt wrong"
        if not answer[:-8]:
            return b""
        plain = cbc(s.enc, s.iv(b"\x5a\xa5", s.counter), answer[:-8], decrypt=True)
        stripped = plain.rstrip(b"\x00")
        assert stripped.endswith(b"\x80"), "answer padding wrong"
        return stripped[:-1]

    def ev2_change_key(
        self, s: Ev2Session, key_no: int, new: bytes, version: int, old: bytes | None = None
    ) -> bytes:
        """ChangeKey (AN12196 5.16): `old` given for another key than the session's."""
        if old is None:
            plain = new + bytes([version])
        else:
            plain = bytes(a ^ b for a, b in zip(new, old, strict=True)) + bytes([version])
            plain += crc32(new)
        cipher = cbc(s.enc, s.iv(b"\xa5\x5a", s.counter), pad80(plain))
        header = bytes([key_no])
        answer = self.ok(0xC4, header + cipher + s.mact(0xC4, header + cipher, s.counter))
        s.counter += 1
        return answer

    # ---- EV1 secure messaging -------------------------------------------------------------

    def ev1_plain(self, s: Ev1Session, ins: int, message: bytes = b"") -> bytes:
        """A plain (or MAC-mode read) command: its CMAC kept as IV, the answer's checked."""
        s.cmac(bytes([ins]) + message)
        answer = self.ok(ins, message)
        assert answer[-8:] == s.cmac(answer[:-8] + b"\x00")[:8], "answer CMAC wrong"
        return answer[:-8]

    def ev1_write_mac(self, s: Ev1Session, ins: int, message: bytes) -> None:
        mac = s.cmac(bytes([ins]) + message)[:8]
        answer = self.ok(ins, message + mac)
        assert answer == s.cmac(b"\x00")[:8], "answer CMAC wrong"

    def ev1_write_full(self, s: Ev1Session, ins: int, header: bytes, data: bytes) -> None:
        plain = data + crc32(bytes([ins]) + header + data)
        cipher = cbc(s.key, s.iv, plain + bytes(-len(plain) % 16))
        s.iv = cipher[-16:]
        answer = self.ok(ins, header + cipher)
        assert answer == s.cmac(b"\x00")[:8], "answer CMAC wrong"

    def ev1_read_full(self, s: Ev1Session, ins: int, message: bytes, length: int) -> bytes:
        s.cmac(bytes([ins]) + message)
        cipher = self.ok(ins, message)
        plain = cbc(s.key, s.iv, cipher, decrypt=True)
        s.iv = cipher[-16:]
        data = plain[:length]
        assert plain[length : length + 4] == crc32(data + b"\x00"), "answer CRC32 wrong"
        assert not any(plain[length + 4 :]), "answer padding wrong"
        return data

    def ev1_change_key(
        self, s: Ev1Session, key_no: int, new: bytes, version: int, old: bytes | None = None
    ) -> bytes:
        """ChangeKey, EV1 style: CRC32 of C4 || KeyNo || cryptogram, zero padding."""
        sent = new if old is None else bytes(a ^ b for a, b in zip(new, old, strict=True))
        plain = sent + bytes([version])
        plain += crc32(bytes([0xC4, key_no]) + plain) + (b"" if old is None else crc32(new))
        cipher = cbc(s.key, s.iv, plain + bytes(-len(plain) % 16))
        s.iv = cipher[-16:]
        return self.ok(0xC4, bytes([key_no]) + cipher)
