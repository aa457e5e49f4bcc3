"""The virtual DESFire card through the real PC/SC stack: pcscd, vpcd and pyscard."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

import pytest
from smartcard import scard
from smartcard.Exceptions import CardConnectionException
from smartcard.System import readers

from tests.support import pcsc
from tests.support.desfire_card import DESFIRE_ATR, CommMode, DesfireCard, Generation, StdFile
from tests.support.desfire_pcd import Pcd, Transmit

h = bytes.fromhex
AID = h("1017F5")
READ_KEY = h("A1" * 16)
Connect = Callable[[DesfireCard], Transmit]


@pytest.fixture
def connect(pcscd: pcsc.Pcscd) -> Iterator[Connect]:
    """Put a card on the first virtual reader and open a PC/SC connection to it."""
    cards: list[DesfireCard] = []
    connections = []

    def put(card: DesfireCard) -> Transmit:
        card.port = pcscd.ports[0]
        cards.append(card)
        card.insert()
        assert pcsc.wait_card(pcscd.readers[0], present=True)
        reader = next(r for r in readers() if str(r) == pcscd.readers[0])
        connection = reader.createConnection()
        # pyscard's default, unpowering the card, right after a card vanished mid-APDU
        # makes pcscd + vpcd miss the next card put on the reader; the product leaves it.
        connection.connect(disposition=scard.SCARD_LEAVE_CARD)
        connections.append(connection)
        assert bytes(connection.getATR()) == DESFIRE_ATR

        def transmit(apdu: bytes) -> bytes:
            data, sw1, sw2 = connection.transmit(list(apdu))
            return bytes([*data, sw1, sw2])

        return transmit

    yield put
    for connection in connections:
        with contextlib.suppress(CardConnectionException):  # the card vanished first
            connection.disconnect()
    for card in cards:
        card.remove()
    pcsc.wait_card(pcscd.readers[0], present=False)


def issued(generation: Generation = Generation.EV2, **knobs: object) -> DesfireCard:
    card = DesfireCard(h("04A1B2C3D4E5F6"), generation=generation, **knobs)  # type: ignore[arg-type]
    card.add_application(AID, [h("A0" * 16), READ_KEY])
    card.add_file(AID, 1, StdFile(CommMode.FULL, 1, 0, 0, 0, bytearray(32)), b"ST\x01" + bytes(16))
    return card


def test_get_version_and_an_ev2_session_through_pcscd(connect: Connect) -> None:
    card = issued(random_id=True)
    transmit = connect(card)
    anticollision = transmit(h("FFCA000000"))
    assert anticollision[0] == 0x08 and len(anticollision) == 6
    pcd = Pcd(transmit)
    version = pcd.get_version()
    assert version[3] == Generation.EV2 and version[14:21] == bytes(7)  # random ID: no UID
    pcd.ok(0x5A, AID)
    session = pcd.authenticate_ev2(1, READ_KEY)
    assert pcd.ev2_full(session, 0x51, b"") == card.real_uid
    assert pcd.ev2_full(session, 0xBD, h("01000000000000"))[:3] == b"ST\x01"
    assert len(card.apdus) == 9


def test_an_ev1_authenticate_aes_through_pcscd(connect: Connect) -> None:
    pcd = Pcd(connect(issued(Generation.EV1)))
    assert pcd.get_version()[3] == Generation.EV1
    pcd.ok(0x5A, AID)
    session = pcd.authenticate_aes(1, READ_KEY)
    assert pcd.ev1_read_full(session, 0xBD, h("01000000200000"), 32)[:3] == b"ST\x01"


def test_a_truncated_answer_and_a_card_gone_reach_the_reader(
    connect: Connect, pcscd: pcsc.Pcscd
) -> None:
    transmit = connect(issued(truncate_after=1, vanish_after=2))
    assert transmit(h("905A000003") + AID + b"\x00") == h("9100")
    assert transmit(h("9060000000")) == h("04010191AF")  # 3 of 7 bytes, status kept
    with pytest.raises(CardConnectionException):
        transmit(h("9060000000"))
    with pytest.raises(CardConnectionException):
        transmit(h("9060000000"))  # gone for good
    assert pcsc.wait_card(pcscd.readers[0], present=False)
    assert Pcd(connect(issued())).get_version()[3] == Generation.EV2  # the next card is seen
