"""The pcsc backend against the real pcscd with vpcd and a virtual card."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from hardware.readers.base import BadgePresented, BadgeRemoved, BadRead, ReaderState
from hardware.readers.pcsc import GET_UID, PcscReader, matches, parse_uid_answer
from station.config.reader import ReaderConfig
from tests.support.pcsc import Pcscd
from tests.support.readers import Events
from tests.support.vcard import VirtualCard, answer_raw, answer_status

CardFactory = Callable[..., VirtualCard]


def open_pcsc(events: Events, pattern: str, reader_id: str = "door") -> PcscReader:
    reader = PcscReader(
        reader_id, ReaderConfig(path=f"pcsc:{pattern}", debounce_s=0), events, pattern=pattern
    )
    reader.start()
    return reader


@pytest.fixture
def reader(pcscd: Pcscd, events: Events) -> Iterator[PcscReader]:
    with open_pcsc(events, pcscd.readers[0]) as reader:
        state = events.expect(ReaderState)
        assert state.available and state.detail == pcscd.readers[0]
        yield reader


@pytest.mark.parametrize("uid", ["04A1B2C3", "04A1B2C3D4E5F6"])
def test_reads_a_4_and_a_7_byte_uid_then_the_removal(
    reader: PcscReader, events: Events, virtual_card: CardFactory, uid: str
) -> None:
    card = virtual_card(uid)
    card.insert()
    presented = events.expect(BadgePresented)
    assert presented.credential.hex == uid
    assert presented.reader_id == "door"
    assert bytes(GET_UID) in card.apdus
    card.remove()
    removed = events.expect(BadgeRemoved)
    assert removed.credential.hex == uid
    assert events.pending() == []  # the card was read once while it stayed on the reader


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (answer_status(b"\x6a\x81"), "status word 6A81"),
        (answer_raw(b"\x90"), "shorter than a status word"),
        (answer_raw(bytes.fromhex("0102030405") + b"\x90\x00"), "UID of 5 byte(s)"),
        (answer_raw(b"\x90\x00"), "UID of 0 byte(s)"),
    ],
)
def test_a_wrong_answer_is_a_bad_read_never_a_badge(
    reader: PcscReader,
    events: Events,
    virtual_card: CardFactory,
    answer: Callable[[bytes], bytes],
    why: str,
) -> None:
    card = virtual_card("04A1B2C3", answer=answer)
    card.insert()
    bad = events.expect(BadRead)
    assert why in bad.detail
    assert "0102030405" not in bad.detail  # the detail goes into events: no card bytes
    assert reader.bad_reads == 1
    card.remove()
    good = virtual_card("04A1B2C3")
    good.insert()  # the reader goes on reading the next badge
    assert events.expect(BadgePresented).credential.hex == "04A1B2C3"


def test_survives_a_pcscd_restart_and_reads_the_next_badge(
    reader: PcscReader, events: Events, virtual_card: CardFactory, restart_pcscd: Callable[[], None]
) -> None:
    first = virtual_card("04A1B2C3")
    first.insert()
    assert isinstance(events.next(), BadgePresented)
    restart_pcscd()
    removed = events.expect(BadgeRemoved)  # the card held when pcscd went away
    assert removed.credential.hex == "04A1B2C3"
    gone = events.expect(ReaderState)
    assert not gone.available and "pcscd" in gone.detail
    back = events.expect(ReaderState)
    assert back.available
    virtual_card("04112233445566").insert()
    assert events.expect(BadgePresented).credential.hex == "04112233445566"


def test_two_readers_at_once(pcscd: Pcscd, virtual_card: CardFactory) -> None:
    door, machine = Events(), Events()
    with open_pcsc(door, pcscd.readers[0], "door"), open_pcsc(machine, pcscd.readers[1], "machine"):
        assert door.expect(ReaderState).available and machine.expect(ReaderState).available
        virtual_card("0A0B0C0D", port=pcscd.ports[1]).insert()
        virtual_card("01020304", port=pcscd.ports[0]).insert()
        assert door.expect(BadgePresented).credential.hex == "01020304"
        event = machine.expect(BadgePresented)
        assert (event.reader_id, event.credential.hex) == ("machine", "0A0B0C0D")


def test_no_matching_reader_is_reported_unavailable(pcscd: Pcscd, events: Events) -> None:
    with open_pcsc(events, "ACR1252*"):
        state = events.expect(ReaderState)
    assert not state.available
    assert "no PC/SC reader matching 'ACR1252*'" in state.detail


def test_parse_uid_answer_checks_status_word_and_length() -> None:
    assert parse_uid_answer([0x04, 0xA1, 0xB2, 0xC3, 0x90, 0x00]).hex == "04A1B2C3"
    assert parse_uid_answer([*bytes(10), 0x90, 0x00]).value == bytes(10)
    for answer in (
        [],
        [0x90],
        [0x63, 0x00],
        [0x01, 0x02, 0x03, 0x90, 0x00],
        [0x04, 0xA1, 0xB2, 0xC3, 0x62, 0x82],
    ):
        with pytest.raises(ValueError):
            parse_uid_answer(answer)


def test_reader_name_patterns() -> None:
    assert matches("acr122", "ACS ACR122U PICC Interface 00 00")
    assert matches("ACS ACR1252*PICC*", "ACS ACR1252 1S CL Reader [ACR1252 PICC] 00 00")
    assert not matches("ACR1252*SAM*", "ACS ACR1252 1S CL Reader [ACR1252 PICC] 00 00")
    assert not matches("Virtual PCD 00 01", "Virtual PCD 00 00")
