"""The virtual DESFire card (tests/support/desfire_card.py) against NXP's worked exchanges
(AN12196, NTAG 424 DNA: the same EV2 handshake and secure messaging) byte for byte, and
against a reader side written apart from it (tests/support/desfire_pcd.py)."""

from __future__ import annotations

import pytest

from tests.support import desfire_crypto as dc
from tests.support.desfire_card import (
    DEFAULT_UID,
    CommMode,
    DesfireCard,
    Generation,
    Status,
    StdFile,
)
from tests.support.desfire_channel import Ev2Channel
from tests.support.desfire_pcd import Ev2Session, Pcd, cbc, crc32, pad80, rotl

h = bytes.fromhex
ZERO = bytes(16)
AID = h("F51710")
NDEF_AID = h("010203")  # any AID: AN12196's values do not depend on it

# AN12196 rev 2.0, Table 14: AuthenticateEV2First with key 0 (00..00).
T14_CMD1, T14_RESP1 = "9071000002000000", "A04C124213C186F22399D33AC2A3021591AF"
T14_RND_A, T14_RND_B = h("13C5DB8A5930439FC3DEF9A4C675360F"), h("B9E2FC789B64BF237CCCAA20EC7E6E48")
T14_CMD2 = "90AF00002035C3E05A752E0144BAC0DE51C1F22C56B34408A23D8AEA266CAB947EA8E0118D00"
T14_RESP2 = "3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F081206639100"
A_TI, A_ENC, A_MAC = (
    "9D00C4DF",
    "1309C877509E5A215007FF0ED19CA564",
    "4C6626F5E72EA694202139295C7A7FC7",
)
# Table 17: WriteData (8D) of 0x80 bytes to file 2 in FULL mode at CmdCtr 0.
T17_CMD = (
    "908D00009F02000000800000421C73A27D827658AF481FDFF20A5025B559D0E3AA21E58D347F343CFFC768BF"
    "E596C706BC00F2176781D4B0242642A0FF5A42C461AAF894D9A1284B8C76BCFA658ACD40555D362E08DB15CF"
    "421B51283F9064BCBE20E96CAE545B407C9D651A3315B27373772E5DA2367D2064AE054AF996C6F1F669170F"
    "A88CE8C4E3A4A7BBBEF0FD971FF532C3A802AF745660F2B4D1D9A8499661EBF300"
)
T17_RESP = "FC222E5F7A5424529100"
T17_NDEF_START = h("0051D1014D550463686F6F73652E75726C2E636F6D2F6E7461673432343F653D")
# Session B: Table 19 (EV2First, key 3), 21 (WriteData FULL), 23 (EV2NonFirst, key 0),
# 24 (WriteData plain), 25 (ChangeKey 2), 26 (ChangeKey 0).
T19_RESP1 = "B875CEB0E66A6C5CD00898DC371F92D191AF"
T19_CMD2 = "90AF000020FF0306E47DFBC50087C4D8A78E88E62DE1E8BE457AA477C707E2F0874916A8B100"
T19_RESP2 = "0CC9A8094A8EEA683ECAAC5C7BF20584206D0608D477110FC6B3D5D3F65C3A6A9100"
B_TI, T19_ENC = "7614281A", "7A93D6571E4B180FCA6AC90C9A7488D4"
T21_CMD = "908D00001F030000000A00006B5E6804909962FC4E3FF5522CF0F8436C0C53315B9C73AA00"
T21_RESP = "C26D236E4A7C046D9100"
T23_RND_A, T23_RND_B = h("60BE759EDA560250AC57CDDC11743CF6"), h("6924E8D09722659A2E7DEC68E66312B8")
B_ENC, B_MAC = "4CF3CB41A22583A61E89B158D252FC53", "5529860B2FC5FB6154B7F28361D30BF9"
T24_CMD = "908D000019010E0000120000FF0506E1050080828300000000000000000000"
T25_CMD = (
    "90C4000029022CF362B7BF4311FF3BE1DAA295E8C68DE09050560D19B9E16C2393AE9CD1FAC75D0CE20BCD1D06E600"
)
T25_RESP, T25_NEW_KEY = "203BB55D1089D5879100", h("F3847D627727ED3BC9C4CC050489B966")
T26_CMD = (
    "90C400002900C0EB4DEEFEDDF0B513A03A95A75491818580503190D4D05053FF75668A01D6FDA6610234BDED643200"
)
T26_NEW_KEY = h("5004BF991F408672B1EF00F08F9E8647")
# Table 28: GetCardUID with the session keys given.
T28_ENC, T28_MAC, T28_TI = (
    "2B4D963C014DC36F24F69A50A394F875",
    "379D32130CE61705DD5FD8C36B95D764",
    "DF055522",
)
T28_CMD, T28_UID = "90510000088E2C155ADDA99BE300", h("04958CAA5C5E80")
T28_RESP = "70756055688505B52A5E26E59E329CD6595F672298EA41B79100"


def ntag_like(**kwargs: object) -> DesfireCard:
    """An application laid out like NTAG 424 DNA's (5 AES keys 00..00, files 1-3)."""
    card = DesfireCard(**kwargs)  # type: ignore[arg-type]
    card.add_application(NDEF_AID, [ZERO] * 5, key_settings=0x0F)
    card.add_file(NDEF_AID, 1, StdFile(CommMode.PLAIN, 0xE, 0, 0, 0, bytearray(32)))
    card.add_file(NDEF_AID, 2, StdFile(CommMode.FULL, 0xE, 0, 0, 0, bytearray(256)))
    card.add_file(NDEF_AID, 3, StdFile(CommMode.FULL, 2, 3, 3, 0, bytearray(128)))
    assert card.transmit(h("905A000003") + NDEF_AID + b"\x00") == h("9100")
    return card


def exchange(card: DesfireCard, apdu: str) -> str:
    return card.transmit(h(apdu)).hex().upper()


def test_an12196_authenticate_ev2_first_and_a_full_write_byte_for_byte() -> None:
    card = ntag_like(fixed_rnd_b=T14_RND_B, fixed_ti=h(A_TI))
    assert exchange(card, T14_CMD1) == T14_RESP1
    # The reader's side, computed here from the note: E(K, RndA || RndB').
    rnd_b = cbc(ZERO, ZERO, h(T14_RESP1)[:16], decrypt=True)
    assert rnd_b == T14_RND_B
    assert "90AF000020" + cbc(ZERO, ZERO, T14_RND_A + rotl(rnd_b)).hex().upper() + "00" == T14_CMD2
    assert exchange(card, T14_CMD2) == T14_RESP2
    proof = cbc(ZERO, ZERO, h(T14_RESP2)[:32], decrypt=True)
    assert proof[:4] == h(A_TI) and proof[4:20] == rotl(T14_RND_A)
    assert isinstance(card.channel, Ev2Channel)
    assert (card.channel.enc_key, card.channel.mac_key) == (h(A_ENC), h(A_MAC))
    assert exchange(card, T17_CMD) == T17_RESP
    written = bytes(card.applications[NDEF_AID].files[2].data)
    assert written.startswith(T17_NDEF_START) and written[0x53:] == bytes(256 - 0x53)
    assert card.channel.counter == 1


def test_an12196_session_b_non_first_plain_write_and_both_change_keys() -> None:
    card = ntag_like(fixed_ti=h(B_TI), fixed_rnd_b=cbc(ZERO, ZERO, h(T19_RESP1)[:16], decrypt=True))
    assert exchange(card, "9071000002030000") == T19_RESP1
    assert exchange(card, T19_CMD2) == T19_RESP2
    assert isinstance(card.channel, Ev2Channel) and card.channel.enc_key == h(T19_ENC)
    assert exchange(card, T21_CMD) == T21_RESP
    assert bytes(card.applications[NDEF_AID].files[3].data[:10]) == bytes(range(1, 11))
    card.auth.fixed_rnd_b = T23_RND_B
    challenge = card.transmit(h("907700000100") + b"\x00")
    assert challenge == cbc(ZERO, ZERO, T23_RND_B) + h("91AF")
    answer = card.transmit(h("90AF000020") + cbc(ZERO, ZERO, T23_RND_A + rotl(T23_RND_B)) + b"\x00")
    assert answer == cbc(ZERO, ZERO, rotl(T23_RND_A)) + h("9100")
    assert (card.channel.enc_key.hex().upper(), card.channel.mac_key.hex().upper()) == (
        B_ENC,
        B_MAC,
    )
    assert (card.channel.ti, card.channel.counter) == (h(B_TI), 1)  # NonFirst keeps both
    assert exchange(card, T24_CMD) == "9100"
    assert exchange(card, T25_CMD) == T25_RESP
    assert exchange(card, T26_CMD) == "9100"  # the key in use changed: no MACt, no session
    assert card.channel is None
    keys = card.applications[NDEF_AID].keys
    assert (keys[0].value, keys[0].version) == (T26_NEW_KEY, 1)
    assert (keys[2].value, keys[2].version) == (T25_NEW_KEY, 1)
    Pcd(card.transmit).authenticate_ev2(0, T26_NEW_KEY)  # the new key 0 opens a session


def test_an12196_get_card_uid_in_a_given_session() -> None:
    card = ntag_like(uid=T28_UID)
    card.channel = Ev2Channel(0, h(T28_ENC), h(T28_MAC), h(T28_TI))
    assert exchange(card, T28_CMD) == T28_RESP


def test_crypto_against_published_values() -> None:
    assert dc.crc32(T25_NEW_KEY) == h("789DFADC")  # AN12196 Table 25 step 7
    # RFC 4493's example 2: the chained CMAC is CMAC when the chain starts at zero.
    key, message = h("2b7e151628aed2a6abf7158809cf4f3c"), h("6bc1bee22e409f96e93d7e117393172a")
    assert dc.cmac(key, message) == h("070a16b46b4d4144f79bdd9dd04a287c")
    for size in (0, 5, 16, 40):
        assert dc.cmac_chained(key, ZERO, message[:size] * 3) == dc.cmac(key, message[:size] * 3)
    assert dc.unpad(dc.pad(b"ST")) == b"ST" and dc.pad(bytes(16))[16:] == h("80") + bytes(15)
    with pytest.raises(ValueError):
        dc.unpad(bytes(16))


@pytest.mark.parametrize("generation", list(Generation))
def test_get_version_three_frames_and_the_generation_byte(generation: Generation) -> None:
    card = DesfireCard(generation=generation)
    version = Pcd(card.transmit).get_version()
    assert len(version) == 28 and version[0] == 0x04 and version[3] == version[10] == generation
    assert version[14:21] == card.real_uid


def test_random_id_hides_the_uid_until_get_card_uid() -> None:
    card = DesfireCard(h("04112233445566"), random_id=True)
    card.add_application(AID, [ZERO, h("11" * 16)])
    anticollision = card.transmit(h("FFCA000000"))
    assert len(anticollision) == 6 and anticollision[0] == 0x08 and anticollision[-2:] == h("9000")
    pcd = Pcd(card.transmit)
    assert pcd.get_version()[14:21] == bytes(7)
    pcd.ok(0x5A, AID)
    session = pcd.authenticate_ev2(1, h("11" * 16))
    assert pcd.ev2_full(session, 0x51, b"") == h("04112233445566")


def issued(generation: Generation = Generation.EV2, **knobs: int) -> DesfireCard:
    """The site's layout (design of issue 14): file 0 free plain, file 1 FULL read key 1."""
    card = DesfireCard(generation=generation, **knobs)  # type: ignore[arg-type]
    card.add_application(AID, [h("A0" * 16), h("A1" * 16)])
    card.add_file(
        AID, 0, StdFile(CommMode.PLAIN, 0xE, 0, 0, 0, bytearray(16)), b"\x07" + card.real_uid
    )
    card.add_file(
        AID, 1, StdFile(CommMode.FULL, 1, 0, 0, 0, bytearray(32)), b"ST\x01" + bytes(range(16))
    )
    card.add_file(AID, 2, StdFile(CommMode.MAC, 1, 0, 1, 0, bytearray(8)), b"macfile!")
    return card


def test_ev2_reads_in_plain_mac_and_full_and_writes_in_full() -> None:
    card = issued()
    pcd = Pcd(card.transmit)
    pcd.ok(0x5A, AID)
    assert pcd.ok(0xBD, h("00000000000000"))[:8] == b"\x07" + card.real_uid  # free: plain
    session = pcd.authenticate_ev2(1, h("A1" * 16))
    assert pcd.ev2_full(session, 0xBD, h("01000000000000")) == b"ST\x01" + bytes(range(16)) + bytes(
        13
    )
    assert pcd.ev2_mac(session, 0xBD, h("02000000080000")) == b"macfile!"
    session = pcd.authenticate_ev2(0, h("A0" * 16))
    assert pcd.ev2_full(session, 0x3D, h("01030000100000"), b"N" * 16) == b""
    assert bytes(card.applications[AID].files[1].data[:20]) == b"ST\x01" + b"N" * 16 + b"\x00"
    assert pcd.ev2_full(session, 0x51, b"") == card.real_uid
    assert session.counter == 2 == card.channel.counter  # type: ignore[union-attr]


def test_ev1_authenticate_aes_reads_writes_and_changes_keys() -> None:
    card = issued(Generation.EV1)
    pcd = Pcd(card.transmit)
    pcd.ok(0x5A, AID)
    assert pcd.send(0x71, h("0100")) == (b"", Status.ILLEGAL_COMMAND)  # an EV1 has no EV2First
    session = pcd.authenticate_aes(1, h("A1" * 16))
    value = pcd.ev1_read_full(session, 0xBD, h("01000000200000"), 32)
    assert value == b"ST\x01" + bytes(range(16)) + bytes(13)
    assert pcd.ev1_plain(session, 0xBD, h("02000000080000")) == b"macfile!"
    session = pcd.authenticate_aes(0, h("A0" * 16))
    pcd.ev1_write_mac(session, 0x3D, h("02000000020000") + b"ok")
    pcd.ev1_write_full(session, 0x3D, h("01000000020000"), b"XY")
    assert pcd.ev1_read_full(session, 0x51, b"", 7) == card.real_uid
    answer = pcd.ev1_change_key(session, 1, h("B1" * 16), 2, old=h("A1" * 16))
    assert answer == session.cmac(b"\x00")[:8]
    assert pcd.ev1_change_key(session, 0, h("B0" * 16), 3) == b""  # the key in use: no CMAC
    keys = card.applications[AID].keys
    assert [(key.value, key.version) for key in keys] == [(h("B0" * 16), 3), (h("B1" * 16), 2)]
    assert card.applications[AID].files[2].data[:2] == b"ok"
    assert card.applications[AID].files[1].data[:3] == b"XY\x01"
    pcd.authenticate_aes(1, h("B1" * 16))


def test_ev2_change_key_of_another_key_with_a_wrong_crc_is_an_integrity_error() -> None:
    card = issued()
    pcd = Pcd(card.transmit)
    pcd.ok(0x5A, AID)
    session = pcd.authenticate_ev2(0, h("A0" * 16))
    # Not XORed with the old key: the CRC32 of the new key does not come out right.
    answer = pcd.send(0xC4, _change_key_cryptogram(session, 1, h("B1" * 16)))
    assert answer == (b"", Status.INTEGRITY_ERROR)
    assert card.channel is None and card.applications[AID].keys[1].value == h("A1" * 16)
    session = pcd.authenticate_ev2(0, h("A0" * 16))
    pcd.ev2_change_key(session, 1, h("B1" * 16), 5, old=h("A1" * 16))
    assert card.applications[AID].keys[1].version == 5
    assert pcd.ev2_mac(session, 0x64, b"\x01") == b"\x05"  # GetKeyVersion


def _change_key_cryptogram(session: Ev2Session, key_no: int, new: bytes) -> bytes:
    plain = pad80(new + b"\x01" + crc32(new))
    cipher = cbc(session.enc, session.iv(b"\xa5\x5a", session.counter), plain)
    message = bytes([key_no]) + cipher
    return message + session.mact(0xC4, message, session.counter)


def test_refusals_answer_as_a_real_card_and_end_the_session() -> None:
    card = issued()
    card.add_file(AID, 3, StdFile(CommMode.PLAIN, 0xF, 0xF, 0xF, 0xF, bytearray(4)))
    pcd = Pcd(card.transmit)
    assert pcd.send(0x5A, h("000001")) == (b"", Status.APPLICATION_NOT_FOUND)
    pcd.ok(0x5A, AID)
    assert pcd.send(0xBD, h("01000000100000")) == (b"", Status.AUTHENTICATION_ERROR)
    assert pcd.send(0xBD, h("03000000010000")) == (b"", Status.PERMISSION_DENIED)  # never
    assert pcd.send(0xBD, h("05000000010000")) == (b"", Status.FILE_NOT_FOUND)
    assert pcd.send(0xBD, h("00100000010000")) == (b"", Status.BOUNDARY_ERROR)
    assert pcd.send(0xBD, h("0000")) == (b"", Status.LENGTH_ERROR)
    assert pcd.send(0x51) == (b"", Status.AUTHENTICATION_ERROR)
    assert pcd.send(0x42) == (b"", Status.ILLEGAL_COMMAND)
    assert pcd.send(0xAF) == (b"", Status.ILLEGAL_COMMAND)
    with pytest.raises(AssertionError, match="status AE"):
        pcd.authenticate_ev2(1, h("A0" * 16))  # the wrong key: RndB' does not match
    assert card.channel is None
    session = pcd.authenticate_ev2(0, h("A0" * 16))
    message = h("02000000080000")  # file 2: read key 1, write key 0, read&write key 1
    assert pcd.send(0xBD, message + session.mact(0xBD, message, 0)) == (
        b"",
        Status.PERMISSION_DENIED,
    )
    assert card.channel is None
    pcd.authenticate_ev2(1, h("A1" * 16))
    assert pcd.send(0xBD, message + bytes(8)) == (b"", Status.INTEGRITY_ERROR)
    assert card.channel is None
    pcd.authenticate_ev2(1, h("A1" * 16))
    pcd.ok(0x5A, AID)  # a select ends the session
    assert card.channel is None and pcd.send(0x51) == (b"", Status.AUTHENTICATION_ERROR)


def test_a_blank_card_personalised_then_formatted() -> None:
    card = DesfireCard()
    pcd = Pcd(card.transmit)
    pcd.ok(0xCA, AID + h("0B82"))  # PICC settings 0F: CreateApplication is free
    assert pcd.send(0xCA, AID + h("0B82")) == (b"", Status.DUPLICATE_ERROR)
    assert pcd.send(0xCA, h("010101") + h("0B02")) == (b"", Status.PARAMETER_ERROR)  # DES keys
    pcd.ok(0x5A, AID)
    create = h("01030010200000")  # file 1, FULL, read key 1, write key 0, 32 bytes
    assert pcd.send(0xCD, create) == (b"", Status.AUTHENTICATION_ERROR)  # settings 0B: master
    session = pcd.authenticate_ev2(0, ZERO)
    assert pcd.ev2_mac(session, 0xCD, create) == b""
    assert pcd.send(0xCD, create + session.mact(0xCD, create, session.counter)) == (
        b"",
        Status.DUPLICATE_ERROR,
    )
    file = card.applications[AID].files[1]
    assert (file.comm, file.read, file.write, file.read_write, file.change) == (
        CommMode.FULL, 1, 0, 0, 0
    )  # fmt: skip
    pcd.ok(0x5A, bytes(3))
    assert pcd.send(0xFC) == (b"", Status.AUTHENTICATION_ERROR)
    session = pcd.authenticate_ev2(0, ZERO)
    assert pcd.ev2_change_key(session, 0x80, h("C0" * 16), 1) == b""  # the PICC master key
    session = pcd.authenticate_ev2(0, h("C0" * 16))
    assert pcd.ev2_mac(session, 0xFC, b"") == b""
    assert card.applications == {} and card.picc.keys[0].version == 1


def test_ev1_format_after_authenticate_aes() -> None:
    card = issued(Generation.EV1)
    pcd = Pcd(card.transmit)
    session = pcd.authenticate_aes(0, ZERO)
    assert pcd.ev1_plain(session, 0xFC) == b""
    assert card.applications == {}


def test_a_replayed_authentication_fails_the_readers_rnd_a_check() -> None:
    genuine = issued()
    pcd = Pcd(genuine.transmit)
    pcd.ok(0x5A, AID)
    pcd.authenticate_ev2(1, h("A1" * 16))
    replayer = DesfireCard(genuine.real_uid, replay=genuine.answers)
    pcd = Pcd(replayer.transmit)
    pcd.ok(0x5A, AID)
    with pytest.raises(AssertionError, match="RndA' wrong"):
        pcd.authenticate_ev2(1, h("A1" * 16))
    assert replayer.answers == genuine.answers


def test_truncate_vanish_and_clone_knobs() -> None:
    card = issued(truncate_after=1)
    pcd = Pcd(card.transmit)
    pcd.ok(0x5A, AID)
    assert pcd.ok(0xBD, h("00000000000000")) == b"\x07" + card.real_uid  # 8 of 16 bytes
    assert len(pcd.ok(0xBD, h("00000000000000"))) == 16  # the next answers are whole
    card = issued(vanish_after=1)
    assert card.transmit(h("905A000003") + AID + b"\x00") == h("9100")
    assert card.transmit(h("9060000000")) == b"" and not card.inserted
    clone = issued().clone()
    assert clone.transmit(h("FFCA000000")) == DEFAULT_UID + h("9000")
    assert Pcd(clone.transmit).send(0x5A, AID) == (b"", Status.APPLICATION_NOT_FOUND)
