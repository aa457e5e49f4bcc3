"""The cryptography of MIFARE DESFire AES, from NXP's documents.

- AES-CMAC (NIST SP 800-38B), with cryptography's CMAC where the IV is zero, and a
  chained-IV variant for EV1 secure messaging (the IV carries over between
  commands, which cryptography's CMAC cannot express);
- AN10922 §2.2 AES-128 key diversification;
- AuthenticateEV2First session keys and secure-messaging MAC and IVs (AN12196 §5,
  AN12343: NTAG 424 DNA and DESFire Light share DESFire EV2's secure messaging);
- the EV1 AuthenticateAES session key and DESFire's CRC32.
"""

from __future__ import annotations

import zlib

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

BLOCK = 16  # AES block and key size
ZERO_IV = bytes(BLOCK)
_RB = 0x87  # the CMAC subkey constant for 128-bit blocks
DIV_AES128 = 0x01  # AN10922's diversification constant for an AES-128 key
MAX_DIV_INPUT = 31  # AN10922: M is 1 to 31 bytes
# AN12196 §5 / AN12343: the labels of the session vectors and IVs.
SV_ENC = bytes.fromhex("A55A00010080")
SV_MAC = bytes.fromhex("5AA500010080")
IV_COMMAND = bytes.fromhex("A55A")
IV_RESPONSE = bytes.fromhex("5AA5")


def _check_key(key: bytes) -> None:
    if len(key) != BLOCK:
        raise ValueError(f"an AES-128 key is 16 bytes, got {len(key)}")


def ecb_encrypt(key: bytes, block: bytes) -> bytes:
    _check_key(key)
    encryptor = Cipher(algorithms.AES(key), modes.ECB()).encryptor()
    return encryptor.update(block) + encryptor.finalize()


def cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    _check_key(key)
    if len(data) % BLOCK:
        raise ValueError(f"CBC data must be whole blocks, got {len(data)} bytes")
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    _check_key(key)
    if len(data) % BLOCK:
        raise ValueError(f"CBC data must be whole blocks, got {len(data)} bytes")
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    return decryptor.update(data) + decryptor.finalize()


def xor(a: bytes, b: bytes) -> bytes:
    if len(a) != len(b):
        raise ValueError(f"xor of {len(a)} and {len(b)} bytes")
    return bytes(x ^ y for x, y in zip(a, b, strict=True))


def rotate_left(data: bytes) -> bytes:
    """RndB' and RndA' of the authentications: one byte rotated to the left."""
    return data[1:] + data[:1]


def rotate_right(data: bytes) -> bytes:
    return data[-1:] + data[:-1]


def cmac(key: bytes, message: bytes) -> bytes:
    """AES-CMAC with a zero IV (the 16-byte tag)."""
    _check_key(key)
    mac = CMAC(algorithms.AES(key))
    mac.update(message)
    return mac.finalize()


def _shift(block: bytes) -> bytes:
    value = int.from_bytes(block, "big") << 1
    if value >> (8 * BLOCK):
        value ^= _RB
    return (value & ((1 << (8 * BLOCK)) - 1)).to_bytes(BLOCK, "big")


def cmac_subkeys(key: bytes) -> tuple[bytes, bytes]:
    """K1 and K2 of SP 800-38B."""
    k1 = _shift(ecb_encrypt(key, ZERO_IV))
    return k1, _shift(k1)


def cmac_chained(key: bytes, iv: bytes, message: bytes, *, min_blocks: int = 1) -> bytes:
    """CMAC computed as a CBC-MAC from ``iv`` (EV1 keeps the IV across commands).

    ``min_blocks`` pads a short message to that many blocks, as AN10922 pads its
    input to 32 bytes where a plain CMAC would pad to 16.
    """
    k1, k2 = cmac_subkeys(key)
    blocks = max(min_blocks, -(-len(message) // BLOCK), 1)
    if message and len(message) == blocks * BLOCK:
        last = xor(message[-BLOCK:], k1)
    else:
        padded = message + b"\x80" + bytes(blocks * BLOCK - len(message) - 1)
        message, last = padded, xor(padded[-BLOCK:], k2)
    return cbc_encrypt(key, iv, message[:-BLOCK] + last)[-BLOCK:]


def diversify_aes128(master: bytes, diversification_input: bytes) -> bytes:
    """AN10922 §2.2: the AES-128 key of one card, CMAC(master, 0x01 || M) over 32 bytes."""
    if not 1 <= len(diversification_input) <= MAX_DIV_INPUT:
        raise ValueError(
            f"AN10922 diversification input is 1 to 31 bytes, got {len(diversification_input)}"
        )
    return cmac_chained(master, ZERO_IV, bytes([DIV_AES128]) + diversification_input, min_blocks=2)


def _session_vector_tail(rnd_a: bytes, rnd_b: bytes) -> bytes:
    # RndA[15:14] || (RndA[13:8] xor RndB[15:10]) || RndB[9:0] || RndA[7:0], with
    # NXP's numbering from the most significant (first) byte down.
    return rnd_a[0:2] + xor(rnd_a[2:8], rnd_b[0:6]) + rnd_b[6:16] + rnd_a[8:16]


def ev2_session_keys(key: bytes, rnd_a: bytes, rnd_b: bytes) -> tuple[bytes, bytes]:
    """SesAuthENCKey and SesAuthMACKey of AuthenticateEV2First (CMAC of SV1 and SV2)."""
    if len(rnd_a) != BLOCK or len(rnd_b) != BLOCK:
        raise ValueError("RndA and RndB are 16 bytes each")
    tail = _session_vector_tail(rnd_a, rnd_b)
    return cmac(key, SV_ENC + tail), cmac(key, SV_MAC + tail)


def truncate_mac(tag: bytes) -> bytes:
    """EV2's MACt: the even-numbered bytes S14 S12 ... S0 of NXP's numbering from S15
    down, i.e. bytes 1, 3, ..., 15 of the CMAC as it comes out."""
    return tag[1::2]


def ev2_mac(mac_key: bytes, message: bytes) -> bytes:
    return truncate_mac(cmac(mac_key, message))


def ev2_iv(enc_key: bytes, label: bytes, ti: bytes, counter: int) -> bytes:
    """IV of FULL mode: E(SesAuthENCKey, label || TI || CmdCtr (LSB first) || 8 zeros)."""
    if len(ti) != 4:
        raise ValueError(f"TI is 4 bytes, got {len(ti)}")
    return ecb_encrypt(enc_key, label + ti + counter.to_bytes(2, "little") + bytes(8))


def ev1_session_key(rnd_a: bytes, rnd_b: bytes) -> bytes:
    """The AES session key of AuthenticateAES: RndA[0:4] RndB[0:4] RndA[12:16] RndB[12:16]."""
    if len(rnd_a) != BLOCK or len(rnd_b) != BLOCK:
        raise ValueError("RndA and RndB are 16 bytes each")
    return rnd_a[0:4] + rnd_b[0:4] + rnd_a[12:16] + rnd_b[12:16]


def crc32(data: bytes) -> bytes:
    """DESFire's CRC32 (IEEE 802.3 polynomial, preset all ones, no final inversion:
    the complement of zlib's), least significant byte first."""
    return (zlib.crc32(data) ^ 0xFFFFFFFF).to_bytes(4, "little")


def pad_m2(data: bytes) -> bytes:
    """ISO/IEC 9797-1 padding method 2 (0x80 then zeros), always at least one byte."""
    return data + b"\x80" + bytes(-(len(data) + 1) % BLOCK)


def unpad_m2(data: bytes) -> bytes:
    """Remove method 2 padding; `ValueError` if it is not there."""
    if not data or len(data) % BLOCK:
        raise ValueError(f"padded data must be whole blocks, got {len(data)} bytes")
    end = len(data.rstrip(b"\x00"))
    if end == 0 or data[end - 1] != 0x80 or len(data) - end >= BLOCK:
        raise ValueError("no ISO/IEC 9797-1 method 2 padding")
    return data[: end - 1]


def pad_zeros(data: bytes) -> bytes:
    """EV1's padding of enciphered data: zeros to the block (none if already whole)."""
    return data + bytes(-len(data) % BLOCK)
