"""EV1 AuthenticateAES and an enciphered answer, against a card side computed here with
`cryptography` and zlib alone (NXP publishes no worked EV1 AES exchange; the full EV1
flows run against the virtual card through pcscd in test_card_vpcd.py)."""

from __future__ import annotations

import zlib

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.cmac import CMAC

from hardware.desfire.apdu import Command
from hardware.desfire.channel import CommMode
from hardware.desfire.errors import CardError
from hardware.desfire.legacy import authenticate_aes
from station.credential import ReadFailure
from tests.support.apdu_script import ScriptedTransport, h

KEY = h("00112233445566778899AABBCCDDEEFF")
RND_A = h("000102030405060708090A0B0C0D0E0F")
RND_B = h("F0E0D0C0B0A090807060504030201000")
UID = h("04A1B2C3D4E5F6")


def cbc(key: bytes, iv: bytes, data: bytes) -> bytes:
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(data) + encryptor.finalize()


def card_side() -> tuple[bytes, bytes, bytes, bytes]:
    """The card's E(RndB), the reader's E(RndA || RndB'), the card's E(RndA'), and the
    session key, with the IV running through the three frames."""
    challenge = cbc(KEY, bytes(16), RND_B)
    token = cbc(KEY, challenge, RND_A + RND_B[1:] + RND_B[:1])
    proof = cbc(KEY, token[-16:], RND_A[1:] + RND_A[:1])
    return challenge, token, proof, RND_A[:4] + RND_B[:4] + RND_A[12:] + RND_B[12:]


def uid_answer(session_key: bytes, crc: bytes | None = None) -> bytes:
    mac = CMAC(algorithms.AES(session_key))
    mac.update(bytes([Command.GET_CARD_UID]))
    iv = mac.finalize()  # the command's CMAC, from the zero IV of a new session
    crc = crc if crc is not None else (zlib.crc32(UID + b"\x00") ^ 0xFFFFFFFF).to_bytes(4, "little")
    return cbc(session_key, iv, (UID + crc).ljust(16, b"\x00"))


def authenticated(*later: tuple[bytes | None, bytes]) -> ScriptedTransport:
    challenge, token, proof, _ = card_side()
    return ScriptedTransport(
        [
            (h("90AA0000010100"), challenge + h("91AF")),
            (h("90AF000020") + token + h("00"), proof + h("9100")),
            *later,
        ]
    )


def test_authenticate_aes_then_an_enciphered_get_card_uid() -> None:
    session_key = card_side()[3]
    transport = authenticated((h("9051000000"), uid_answer(session_key) + h("9100")))
    session = authenticate_aes(transport, 1, KEY, rnd_a=RND_A)
    assert session._key == session_key
    assert session.send(Command.GET_CARD_UID, mode=CommMode.FULL, lengths=(7, 10)) == UID
    assert transport.done


def test_a_wrong_crc_in_the_answer_is_auth_failed() -> None:
    session_key = card_side()[3]
    transport = authenticated((None, uid_answer(session_key, crc=bytes(4)) + h("9100")))
    session = authenticate_aes(transport, 1, KEY, rnd_a=RND_A)
    with pytest.raises(CardError) as caught:
        session.send(Command.GET_CARD_UID, mode=CommMode.FULL, lengths=(7, 10))
    assert caught.value.reason is ReadFailure.AUTH_FAILED
    assert "CRC32" in caught.value.detail


def test_a_proof_for_another_rnd_a_is_auth_failed() -> None:
    challenge, _, proof, _ = card_side()
    transport = ScriptedTransport([(None, challenge + h("91AF")), (None, proof + h("9100"))])
    with pytest.raises(CardError) as caught:
        authenticate_aes(transport, 1, KEY, rnd_a=bytes(16))
    assert caught.value.reason is ReadFailure.AUTH_FAILED
    assert "RndA'" in caught.value.detail


def test_a_short_challenge_is_a_bad_read() -> None:
    transport = ScriptedTransport([(None, bytes(8) + h("91AF"))])
    with pytest.raises(CardError) as caught:
        authenticate_aes(transport, 1, KEY)
    assert caught.value.reason is ReadFailure.BAD_READ
    assert "8 byte(s) of data, expected 16" in caught.value.detail
