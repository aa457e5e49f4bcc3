"""The virtual DESFire card's own AES primitives (tests/support/desfire_card.py).

Written from NXP's notes (AN12196, AN12343: EV2 secure messaging; the DESFire EV1 AES
scheme as libfreefare and the EV1 data sheet describe it), not from hardware.desfire:
the card and the reader are two independent readings of the same documents, so that
each checks the other.
"""

from __future__ import annotations

import zlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

BLOCK = 16
ZERO_IV = bytes(BLOCK)


def encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-128 CBC without padding (every caller pads by its mode's own rule)."""
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def cmac(key: bytes, data: bytes) -> bytes:
    """AES-CMAC (NIST SP 800-38B), the 16 bytes."""
    mac = CMAC(algorithms.AES(key))
    mac.update(data)
    return mac.finalize()


def cmac_chained(key: bytes, iv: bytes, data: bytes) -> bytes:
    """CMAC whose CBC chain starts from `iv` instead of zero: EV1's secure messaging keeps
    the last MAC or cipher block as the next IV. `cryptography`'s CMAC has no IV, hence
    this one (equal to it for a zero IV, which the tests check)."""
    k1 = _double(encrypt(key, ZERO_IV, ZERO_IV))
    k2 = _double(k1)
    complete = bool(data) and len(data) % BLOCK == 0
    if complete:
        head, last = data[:-BLOCK], _xor(data[-BLOCK:], k1)
    else:
        cut = len(data) - len(data) % BLOCK
        tail = data[cut:] + b"\x80" + bytes(BLOCK - 1 - len(data) % BLOCK)
        head, last = data[:cut], _xor(tail, k2)
    return encrypt(key, iv, head + last)[-BLOCK:]


def mac_t(full: bytes) -> bytes:
    """EV2's truncated MAC: the 8 even bytes in most significant order (indexes 1, 3...15)."""
    return full[1::2]


def crc32(data: bytes) -> bytes:
    """DESFire's CRC32: IEEE 802.3 polynomial, preset FFFFFFFF, no final inversion, LSB first."""
    return ((zlib.crc32(data) ^ 0xFFFFFFFF) & 0xFFFFFFFF).to_bytes(4, "little")


def pad(data: bytes) -> bytes:
    """ISO/IEC 9797-1 method 2: 80 then zeros, always (a full block when already aligned)."""
    return data + b"\x80" + bytes(BLOCK - 1 - len(data) % BLOCK)


def unpad(data: bytes) -> bytes:
    """Undo `pad`; ValueError when the padding is not 80 00..00 within the last block."""
    stripped = data.rstrip(b"\x00")
    if not stripped.endswith(b"\x80") or len(data) - len(stripped) >= BLOCK:
        raise ValueError("no ISO 9797-1 method 2 padding")
    return stripped[:-1]


def rotate(data: bytes) -> bytes:
    """Rotate left by one byte (RndA' and RndB' of both authentications)."""
    return data[1:] + data[:1]


def ev2_session_keys(key: bytes, rnd_a: bytes, rnd_b: bytes) -> tuple[bytes, bytes]:
    """SesAuthENCKey and SesAuthMACKey from SV1 / SV2 (AN12196 section 4.4, AN12343)."""
    tail = b"\x00\x01\x00\x80" + rnd_a[:2] + _xor(rnd_a[2:8], rnd_b[:6]) + rnd_b[6:] + rnd_a[8:]
    return cmac(key, b"\xa5\x5a" + tail), cmac(key, b"\x5a\xa5" + tail)


def ev1_session_key(rnd_a: bytes, rnd_b: bytes) -> bytes:
    """The legacy AuthenticateAES session key: A0..3 B0..3 A12..15 B12..15."""
    return rnd_a[:4] + rnd_b[:4] + rnd_a[12:] + rnd_b[12:]


def _double(block: bytes) -> bytes:
    value = int.from_bytes(block, "big") << 1
    if value >> 128:
        value = (value & ((1 << 128) - 1)) ^ 0x87
    return value.to_bytes(BLOCK, "big")


def _xor(left: bytes, right: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(left, right, strict=True))
