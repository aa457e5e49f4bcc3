"""DESFire's AES cryptography against published vectors; the source is at each test."""

from __future__ import annotations

import pytest

from hardware.desfire import crypto
from tests.support.apdu_script import h

AN10922_MASTER = h("00112233445566778899AABBCCDDEEFF")


def test_an10922_aes128_diversification() -> None:
    # NXP AN10922 §2.2.1: UID 04782E21801D80, AID 3042F5, system identifier "NXP Abu"
    # (4E585020416275); the same values in libfreefare's test_mifare_key_deriver.c.
    m = h("04782E21801D80") + h("3042F5") + h("4E585020416275")
    assert crypto.diversify_aes128(AN10922_MASTER, m) == h("A8DD63A3B89D54B37CA802473FDA9175")


def test_an10957_short_input_is_padded_to_32_bytes() -> None:
    # NXP AN10957 pp. 13-14 (via libfreefare's test_mifare_key_deriver.c): a 7-byte M,
    # where AN10922 pads 0x01 || M to two blocks and a plain CMAC would pad to one.
    master = h("F3F9377698707B688EAF84ABE39E3791")
    assert crypto.diversify_aes128(master, h("04DEADBEEFFEED")) == h(
        "0BB408BAFF98B6EE9F2E1585777F6A51"
    )


@pytest.mark.parametrize("length", [0, 32])
def test_an10922_input_length_is_checked(length: int) -> None:
    with pytest.raises(ValueError, match="1 to 31 bytes"):
        crypto.diversify_aes128(AN10922_MASTER, bytes(length))


def test_cmac_subkeys() -> None:
    # RFC 4493 §4 / NIST SP 800-38B example key 2B7E1516...: K1 and K2.
    key = h("2B7E151628AED2A6ABF7158809CF4F3C")
    assert crypto.cmac_subkeys(key) == (
        h("FBEED618357133667C85E08F7236A8DE"),
        h("F7DDAC306AE266CCF90BC11EE46D513B"),
    )


@pytest.mark.parametrize(
    ("message", "tag"),
    [  # RFC 4493 §4, examples 1 to 4
        ("", "BB1D6929E95937287FA37D129B756746"),
        ("6BC1BEE22E409F96E93D7E117393172A", "070A16B46B4D4144F79BDD9DD04A287C"),
        (
            "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E5130C81C46A35CE411",
            "DFA66747DE9AE63030CA32611497C827",
        ),
        (
            "6BC1BEE22E409F96E93D7E117393172AAE2D8A571E03AC9C9EB76FAC45AF8E51"
            "30C81C46A35CE411E5FBC1191A0A52EFF69F2445DF4F9B17AD2B417BE66C3710",
            "51F0BEBF7E3B9D92FC49741779363CFE",
        ),
    ],
)
def test_cmac_rfc4493_both_ways(message: str, tag: str) -> None:
    key = h("2B7E151628AED2A6ABF7158809CF4F3C")
    assert crypto.cmac(key, h(message)) == h(tag)
    assert crypto.cmac_chained(key, crypto.ZERO_IV, h(message)) == h(tag)


def test_chained_cmac_starts_from_the_iv() -> None:
    key = h("2B7E151628AED2A6ABF7158809CF4F3C")
    iv = bytes(range(16))
    assert crypto.cmac_chained(key, iv, b"\x51") != crypto.cmac(key, b"\x51")
    # CBC-MAC from an IV equals the zero-IV CMAC of the message with the IV folded in.
    block = h("6BC1BEE22E409F96E93D7E117393172A")
    assert crypto.cmac_chained(key, iv, block) == crypto.cmac(key, crypto.xor(block, iv))


def test_ev2_session_keys_an12343() -> None:
    # NXP AN12343 (DESFire Light) pp. 33-34, as in Proxmark3's desfiretest.c
    # TestEV2SessionKeys: key 00..00, RndA, RndB -> SesAuthENCKey, SesAuthMACKey.
    enc, mac = crypto.ev2_session_keys(
        bytes(16), h("B04D0787C93EE0CC8CACC8E86F16C6FE"), h("FA659AD0DCA738DD65DC7DC38612AD81")
    )
    assert enc == h("63DC07286289A7A6C0334CA31C314A04")
    assert mac == h("774F26743ECE6AF5033B6AE8522946F6")


def test_ev2_mac_an12343() -> None:
    # NXP AN12343 p. 54, as in Proxmark3's desfiretest.c TestEV2MAC: WriteData (8D)
    # at CmdCtr 0, its answer at 1, ReadData (AD) at 1, its answer at 2.
    key, ti = h("9366FA195EB566F5BD2BAD4020B83002"), h("E2D3AF69")

    def mac(code: int, counter: int, data: bytes) -> bytes:
        return crypto.ev2_mac(key, bytes([code]) + counter.to_bytes(2, "little") + ti + data)

    write = h("00000000190000") + b"\x22" * 25
    assert mac(0x8D, 0, write) == h("68F2C28C575A1628")
    assert mac(0x00, 1, b"") == h("0820F68898C2A7F1")
    assert mac(0xAD, 1, h("00000000300000")) == h("0D9BE191D5960834")
    assert mac(0x00, 2, b"\x22" * 25 + bytes(23)) == h("A49A44222D926666")


def test_ev2_iv() -> None:
    # Proxmark3's desfiretest.c TestEV2IVEncode (not attributed there to an NXP note).
    iv = crypto.ev2_iv(h("66A8CB93269DC9BC2885B7A91B9C697B"), crypto.IV_COMMAND, h("ED56F6E6"), 0)
    assert iv == h("DA0F644A4986275957CF1EC3AF4CCE53")
    iv = crypto.ev2_iv(h("445A8626B3338459321232FADF6ADE2B"), crypto.IV_COMMAND, h("11223344"), 5)
    assert iv == h("177494FCC4F1DAB2AFBE8FAE2057A9D2")


def test_truncation_keeps_the_odd_indexed_bytes() -> None:
    assert crypto.truncate_mac(bytes(range(16))) == bytes([1, 3, 5, 7, 9, 11, 13, 15])


def test_desfire_crc32() -> None:
    # Proxmark3's desfiretest.c TestCRC32: a GetCardUID answer 04440F32763180 whose
    # CRC32, over the UID and the status byte 00, is 99 CE 1A D4.
    assert crypto.crc32(h("04440F32763180") + b"\x00") == h("99CE1AD4")
    # JAMCRC check value (CRC catalogue): "123456789" -> 0x340BC6D9.
    assert crypto.crc32(b"123456789") == (0x340BC6D9).to_bytes(4, "little")


def test_ev1_session_key_takes_the_four_byte_pieces() -> None:
    rnd_a, rnd_b = bytes(range(16)), bytes(range(16, 32))
    assert crypto.ev1_session_key(rnd_a, rnd_b) == (
        bytes([0, 1, 2, 3, 16, 17, 18, 19, 12, 13, 14, 15, 28, 29, 30, 31])
    )


def test_rotations() -> None:
    assert crypto.rotate_left(b"\x01\x02\x03") == b"\x02\x03\x01"
    assert crypto.rotate_right(b"\x01\x02\x03") == b"\x03\x01\x02"


@pytest.mark.parametrize("length", [0, 1, 15, 16, 17, 31])
def test_padding_method_2_round_trip(length: int) -> None:
    data = b"\x80" * length  # a payload full of 80s must not confuse the unpadding
    padded = crypto.pad_m2(data)
    assert len(padded) % 16 == 0 and len(padded) > length
    assert crypto.unpad_m2(padded) == data


@pytest.mark.parametrize(
    "padded", [bytes(16), b"\x01" * 16, b"\x80" + bytes(31), b"", b"\x80" + bytes(14)]
)
def test_bad_padding_is_refused(padded: bytes) -> None:
    with pytest.raises(ValueError):
        crypto.unpad_m2(padded)


def test_keys_must_be_16_bytes() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        crypto.cmac(bytes(8), b"")
