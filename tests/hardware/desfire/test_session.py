"""AuthenticateEV2First and EV2 secure messaging, byte for byte against NXP's worked
examples.

Source of every vector: NXP AN12196 "NTAG 424 DNA and NTAG 424 DNA TagTamper features
and hints" Rev. 1.5 (the section is given at each test), as transcribed in
icedevml/nfc-ev2-crypto's test_ev2.py (whose own implementation is independent of
this one). NTAG 424 DNA runs DESFire EV2's AuthenticateEV2First and secure messaging,
so the same frames must come out of our reader.
"""

from __future__ import annotations

import pytest

from hardware.desfire.apdu import Command
from hardware.desfire.channel import CommMode
from hardware.desfire.errors import CardError
from hardware.desfire.session import Ev2Session, authenticate_ev2_first
from station.credential import ReadFailure
from tests.support.apdu_script import ScriptedTransport, h

ZERO_KEY = bytes(16)


def test_an12196_6_6_authenticate_ev2_first_key_0() -> None:
    # AN12196 §6.6 (p. 28): AuthenticateEV2First with key 0x00 = 00..00.
    transport = ScriptedTransport(
        [
            (h("90 71 00 00 02 00 00 00"), h("A04C124213C186F22399D33AC2A30215 91AF")),
            (
                h(
                    "90 AF 00 00 20 35C3E05A752E0144BAC0DE51C1F22C56"
                    "B34408A23D8AEA266CAB947EA8E0118D 00"
                ),
                h("3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F08120663 9100"),
            ),
        ]
    )
    session = authenticate_ev2_first(
        transport, 0, ZERO_KEY, rnd_a=h("13C5DB8A5930439FC3DEF9A4C675360F")
    )
    assert transport.done
    assert session.ti == h("9D00C4DF")
    assert session._enc_key == h("1309C877509E5A215007FF0ED19CA564")  # SesAuthENCKey
    assert session._mac_key == h("4C6626F5E72EA694202139295C7A7FC7")  # SesAuthMACKey
    assert session.counter == 0


def test_an12196_6_10_authenticate_ev2_first_second_example() -> None:
    # AN12196 §6.10 (p. 34): another AuthenticateEV2First, same zero key.
    transport = ScriptedTransport(
        [
            (h("9071000002000000"), h("B875CEB0E66A6C5CD00898DC371F92D1 91AF")),
            (
                h("90AF000020FF0306E47DFBC50087C4D8A78E88E62DE1E8BE457AA477C707E2F0874916A8B100"),
                h("0CC9A8094A8EEA683ECAAC5C7BF20584206D0608D477110FC6B3D5D3F65C3A6A 9100"),
            ),
        ]
    )
    session = authenticate_ev2_first(
        transport, 0, ZERO_KEY, rnd_a=h("B98F4C50CF1C2E084FD150E33992B048")
    )
    assert session.ti == h("7614281A")
    assert session._enc_key == h("7A93D6571E4B180FCA6AC90C9A7488D4")
    assert session._mac_key == h("FC4AF159B62E549B5812394CAB1918CC")


def test_an12196_6_6_a_replayed_card_answer_fails_on_rnd_a() -> None:
    # The card's frames of §6.6 replayed to a reader that drew another RndA.
    transport = ScriptedTransport(
        [
            (None, h("A04C124213C186F22399D33AC2A30215 91AF")),
            (None, h("3FA64DB5446D1F34CD6EA311167F5E4985B89690C04A05F17FA7AB2F08120663 9100")),
        ]
    )
    with pytest.raises(CardError) as caught:
        authenticate_ev2_first(transport, 0, ZERO_KEY, rnd_a=bytes(range(16)))
    assert caught.value.reason is ReadFailure.AUTH_FAILED
    assert "RndA'" in caught.value.detail


def test_an12196_6_12_write_data_full_mode() -> None:
    # AN12196 §6.12 (p. 36): WriteData (8D) of 10 bytes in FULL mode, CmdCtr 0, and
    # the card's MAC-only answer checked with CmdCtr 1.
    transport = ScriptedTransport(
        [
            (
                h("908D00001F030000000A00006B5E6804909962FC4E3FF5522CF0F8436C0C53315B9C73AA00"),
                h("C26D236E4A7C046D 9100"),
            )
        ]
    )
    session = Ev2Session(
        transport,
        h("7A93D6571E4B180FCA6AC90C9A7488D4"),
        h("FC4AF159B62E549B5812394CAB1918CC"),
        h("7614281A"),
    )
    answer = session.send(
        0x8D,  # NTAG's ISO-chained WriteData
        h("03 000000 0A0000"),
        h("0102030405060708090A"),
        mode=CommMode.FULL,
    )
    assert answer == b""
    assert session.counter == 1


def test_an12196_5_3_get_file_settings_mac_mode() -> None:
    # AN12196 §5.3 (p. 21): GetFileSettings (F5) of file 02 in MAC mode, CmdCtr 0.
    transport = ScriptedTransport(
        [
            (
                h("90F5000009 02 6597A457C8CD442C 00"),
                h("0040EEEE000100D1FE001F00004400004400002000006A0000 2A474282E7A47986 9100"),
            )
        ]
    )
    session = Ev2Session(transport, ZERO_KEY, h("8248134A386E86EB7FAF54A52E536CB6"), h("7A21085E"))
    answer = session.send(0xF5, h("02"), mode=CommMode.MAC, lengths=(25,))
    assert answer == h("0040EEEE000100D1FE001F00004400004400002000006A0000")


def test_an12196_7_3_get_card_uid_full_mode() -> None:
    # AN12196 §7.3 (p. 43): GetCardUID, answer enciphered and MACed, CmdCtr 0.
    transport = ScriptedTransport(
        [
            (
                h("90510000088E2C155ADDA99BE300"),
                h("70756055688505B52A5E26E59E329CD6 595F672298EA41B7 9100"),
            )
        ]
    )
    session = Ev2Session(
        transport,
        h("2B4D963C014DC36F24F69A50A394F875"),
        h("379D32130CE61705DD5FD8C36B95D764"),
        h("DF055522"),
    )
    uid = session.send(Command.GET_CARD_UID, mode=CommMode.FULL, lengths=(7, 10))
    assert uid == h("04958CAA5C5E80")


def test_a_flipped_mac_bit_is_auth_failed() -> None:
    transport = ScriptedTransport(
        [(None, h("70756055688505B52A5E26E59E329CD6 595F672298EA41B6 9100"))]
    )
    session = Ev2Session(
        transport,
        h("2B4D963C014DC36F24F69A50A394F875"),
        h("379D32130CE61705DD5FD8C36B95D764"),
        h("DF055522"),
    )
    with pytest.raises(CardError) as caught:
        session.send(Command.GET_CARD_UID, mode=CommMode.FULL, lengths=(7, 10))
    assert caught.value.reason is ReadFailure.AUTH_FAILED
    assert "MAC" in caught.value.detail


def test_a_replayed_answer_under_the_next_counter_is_auth_failed() -> None:
    # §7.3's answer is only valid for CmdCtr 0 -> 1; played again, the MAC must fail.
    good = h("70756055688505B52A5E26E59E329CD6 595F672298EA41B7 9100")
    transport = ScriptedTransport([(None, good), (None, good)])
    session = Ev2Session(
        transport,
        h("2B4D963C014DC36F24F69A50A394F875"),
        h("379D32130CE61705DD5FD8C36B95D764"),
        h("DF055522"),
    )
    session.send(Command.GET_CARD_UID, mode=CommMode.FULL, lengths=(7, 10))
    with pytest.raises(CardError) as caught:
        session.send(Command.GET_CARD_UID, mode=CommMode.FULL, lengths=(7, 10))
    assert caught.value.reason is ReadFailure.AUTH_FAILED


# AN12196 Rev. 2.0 session B after AuthenticateEV2NonFirst (Table 23): SesAuthENCKey,
# SesAuthMACKey, TI 7614281A, CmdCtr 1. Values as transcribed from the note in
# tests/hardware/desfire/test_virtual_card.py (H2's card tests, issue 14).
B_ENC, B_MAC, B_TI = (
    h("4CF3CB41A22583A61E89B158D252FC53"),
    h("5529860B2FC5FB6154B7F28361D30BF9"),
    h("7614281A"),
)


def test_an12196_tables_24_to_26_plain_write_then_both_change_keys() -> None:
    transport = ScriptedTransport(
        [
            # Table 24: WriteData in plain mode at CmdCtr 1: no MAC, but it counts.
            (h("908D000019 010E0000120000 FF0506E1050080828300000000000000000000"), h("9100")),
            # Table 25: ChangeKey of key 2 (not the session's) at CmdCtr 2.
            (
                h(
                    "90C4000029022CF362B7BF4311FF3BE1DAA295E8C68DE09050560D19B9E16C2393AE9CD1FAC7"
                    "5D0CE20BCD1D06E600"
                ),
                h("203BB55D1089D587 9100"),
            ),
            # Table 26: ChangeKey of key 0, the session's: the answer has no MAC.
            (
                h(
                    "90C400002900C0EB4DEEFEDDF0B513A03A95A75491818580503190D4D05053FF75668A01D6FD"
                    "A6610234BDED643200"
                ),
                h("9100"),
            ),
        ]
    )
    session = Ev2Session(transport, B_ENC, B_MAC, B_TI)
    session.counter = 1
    session.send(0x8D, h("010E0000120000"), h("FF0506E10500808283") + bytes(9), mode=CommMode.PLAIN)
    assert session.counter == 2
    session.change_key(2, h("F3847D627727ED3BC9C4CC050489B966"), 0x01, ZERO_KEY)
    session.change_key(0, h("5004BF991F408672B1EF00F08F9E8647"), 0x01, None)
    assert transport.done
    with pytest.raises(CardError, match="ended"):
        session.send(Command.GET_CARD_UID, mode=CommMode.FULL, lengths=(7,))
