"""Secure reads of DESFire badges by the PC/SC backend, through the real pcscd and vpcd
with the tests' virtual DESFire card: a badge of the site gives its secure credential;
a clone, a wrong key, a replayed authentication, a truncated answer and a card taken
away mid-way each give a bad read with its reason and the UID seen, never a badge."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hardware.readers import open_reader
from hardware.readers.base import BadgePresented, BadgeRemoved, BadRead, ReaderState
from hardware.readers.pcsc import PcscReader
from station.config.reader import ReaderConfig
from station.credential import Credential, CredentialKind, ReadFailure
from station.desfire_keys import DesfireKeyError, ReadKeyFile, write_key_file
from tests.support.desfire_card import DesfireCard, Generation
from tests.support.desfire_rack import OTHER_SITE, SITE_KEYS, UID, VALUE, CardRack
from tests.support.pcsc import Pcscd, wait_card
from tests.support.readers import Events
from tests.support.vcard import MIFARE_1K_ATR, VirtualCard

pytestmark = pytest.mark.pcsc

SECURE = Credential(CredentialKind.SECURE, VALUE)
GET_VERSION = bytes.fromhex("9060000000")
READ_DATA = 0xBD


@pytest.fixture
def rack(pcscd: Pcscd) -> Iterator[CardRack]:
    rack = CardRack(pcscd)
    yield rack
    rack.close()


@pytest.fixture
def reader(pcscd: Pcscd, events: Events) -> Iterator[PcscReader]:
    name = pcscd.readers[0]
    config = ReaderConfig(path=f"pcsc:{name}", debounce_s=0)
    with PcscReader(
        "door", config, events, pattern=name, read_keys=SITE_KEYS.read_keys()
    ) as reader:
        assert events.expect(ReaderState).available
        yield reader


def _failed(events: Events, reason: ReadFailure) -> BadRead:
    bad = events.expect(BadRead)
    assert bad.reason is reason, bad
    assert events.pending() == []  # no badge beside the failure, ever
    return bad


def _read_index(card: DesfireCard, file_no: int) -> int:
    """The 1-based number of the APDU reading `file_no` in the card's log."""
    for number, apdu in enumerate(card.apdus, 1):
        if apdu[1] == READ_DATA and apdu[5] == file_no:
            return number
    raise AssertionError(f"no ReadData of file {file_no} in {[a.hex() for a in card.apdus]}")


@pytest.mark.parametrize("generation", [Generation.EV2, Generation.EV3, Generation.EV1])
def test_a_badge_of_the_site_gives_its_secure_credential(
    reader: PcscReader, events: Events, rack: CardRack, generation: Generation
) -> None:
    card = rack.issued(generation=generation)
    card.insert()
    presented = events.expect(BadgePresented)
    assert presented.credential == SECURE
    assert GET_VERSION in card.apdus
    card.remove()
    assert events.expect(BadgeRemoved).credential == SECURE
    assert reader.bad_reads == 0


def test_a_random_uid_card_is_read_by_its_real_uid(
    reader: PcscReader, events: Events, rack: CardRack
) -> None:
    card = rack.issued(random_id=True)
    card.insert()
    assert events.expect(BadgePresented).credential == SECURE
    assert card.uid != UID  # the UID the field showed was a random one


def test_a_clone_with_the_same_uid_and_no_application_fails_auth(
    reader: PcscReader, events: Events, rack: CardRack
) -> None:
    rack.issued()  # the genuine card, elsewhere
    clone = rack.blank(UID)
    clone.insert()
    bad = _failed(events, ReadFailure.AUTH_FAILED)
    assert bad.uid == Credential.uid(UID)  # for a resource deciding on UIDs


def test_a_card_of_another_site_fails_auth(
    reader: PcscReader, events: Events, rack: CardRack
) -> None:
    rack.issued(keys=OTHER_SITE).insert()  # same AID, keys diversified from other masters
    assert _failed(events, ReadFailure.AUTH_FAILED).uid == Credential.uid(UID)


def test_a_replayed_authentication_fails_auth(
    reader: PcscReader, events: Events, rack: CardRack
) -> None:
    genuine = rack.issued()
    genuine.insert()
    assert events.expect(BadgePresented).credential == SECURE
    genuine.remove()
    events.expect(BadgeRemoved)
    # A card playing back, answer for answer, what the genuine card said a moment ago:
    # the reader's new RndA is not in the recorded answer.
    player = rack.add(genuine.clone())
    player.replay = list(genuine.answers)
    player.insert()
    _failed(events, ReadFailure.AUTH_FAILED)


def test_a_truncated_answer_is_a_bad_read(
    reader: PcscReader, events: Events, rack: CardRack
) -> None:
    genuine = rack.issued()
    genuine.insert()
    events.expect(BadgePresented)
    genuine.remove()
    events.expect(BadgeRemoved)
    for file_no in (0, 1):  # the plain UID file, the enciphered credential
        cut = rack.issued(truncate_after=_read_index(genuine, file_no) - 1)
        cut.insert()
        assert _failed(events, ReadFailure.BAD_READ).uid == Credential.uid(UID)
        cut.remove()


def test_a_spoilt_uid_file_is_a_bad_read_that_does_not_spell_the_uid(
    reader: PcscReader, events: Events, rack: CardRack
) -> None:
    # The read's detail goes into the agent's events, up to the site: no UID in clear.
    card = rack.issued()
    card.applications[SITE_KEYS.aid].files[0].data[0] = 0x09  # not 4, 7 or 10
    card.insert()
    bad = _failed(events, ReadFailure.BAD_READ)
    assert "file 0" in bad.detail
    assert UID.hex().upper() not in bad.detail.upper()
    assert UID[:3].hex().upper() not in bad.detail.upper()


def test_a_card_taken_away_mid_way_is_a_bad_read(
    reader: PcscReader, events: Events, rack: CardRack, pcscd: Pcscd
) -> None:
    genuine = rack.issued()
    genuine.insert()
    events.expect(BadgePresented)
    genuine.remove()
    events.expect(BadgeRemoved)
    gone = rack.issued(vanish_after=_read_index(genuine, 1) - 1)  # before the credential
    gone.insert()
    bad = _failed(events, ReadFailure.BAD_READ)
    assert bad.uid == Credential.uid(UID)
    assert wait_card(pcscd.readers[0], present=False)
    good = rack.issued()
    good.insert()  # the reader goes on reading the next badge
    assert events.expect(BadgePresented).credential == SECURE


def test_cards_that_do_not_speak_desfire_are_read_by_their_uid(
    reader: PcscReader, events: Events, virtual_card: Callable[..., VirtualCard]
) -> None:
    # A MIFARE Classic (storage card: no APDU sent but GET DATA) and an ISO 14443-4 card
    # that is no DESFire (a phone, a bank card: 6D 00 to GetVersion).
    classic = virtual_card("04A1B2C3", atr=MIFARE_1K_ATR)
    classic.insert()
    assert events.expect(BadgePresented).credential == Credential.uid("04A1B2C3")
    assert classic.apdus == [bytes.fromhex("FFCA000000")]
    classic.remove()
    events.expect(BadgeRemoved)
    other = virtual_card("08112233", atr=bytes.fromhex("3B8180018080"))
    other.insert()
    assert events.expect(BadgePresented).credential == Credential.uid("08112233")
    assert GET_VERSION in other.apdus


def test_a_card_that_starts_as_a_desfire_is_judged_as_one(
    reader: PcscReader, events: Events, virtual_card: Callable[..., VirtualCard]
) -> None:
    # Native at GetVersion's first frame, then not: never its UID as the badge.
    def answer(apdu: bytes) -> bytes:
        if apdu.startswith(bytes.fromhex("FFCA")):
            return bytes.fromhex("08112233") + b"\x90\x00"
        if apdu == GET_VERSION:
            return bytes.fromhex("04010112001A0591AF")
        return b"\x6d\x00"

    card = virtual_card("08112233", atr=bytes.fromhex("3B8180018080"), answer=answer)
    card.insert()
    assert _failed(events, ReadFailure.BAD_READ).uid == Credential.uid("08112233")


@pytest.mark.parametrize(
    "native",
    [bytes.fromhex("0191AF"), bytes(250) + b"\x91\x00", b"\x91\x00"],
    ids=["additional-frames-for-ever", "huge-answers", "ok-without-data"],
)
def test_a_card_answering_the_same_to_everything_is_a_bad_read(
    reader: PcscReader,
    events: Events,
    virtual_card: Callable[..., VirtualCard],
    rack: CardRack,
    native: bytes,
) -> None:
    def answer(apdu: bytes) -> bytes:
        if apdu.startswith(bytes.fromhex("FFCA")):
            return UID + b"\x90\x00"
        return native

    card = virtual_card(UID.hex(), atr=bytes.fromhex("3B8180018080"), answer=answer)
    card.insert()
    assert _failed(events, ReadFailure.BAD_READ).uid == Credential.uid(UID)
    assert len(card.apdus) < 40  # bounded: the reader gave up, it did not hang
    card.remove()
    good = rack.issued()
    good.insert()  # and it goes on reading the next badge
    assert events.expect(BadgePresented).credential == SECURE


def test_without_keys_a_desfire_is_read_by_its_uid(
    pcscd: Pcscd, events: Events, rack: CardRack
) -> None:
    name = pcscd.readers[0]
    config = ReaderConfig(path=f"pcsc:{name}", debounce_s=0)
    with PcscReader("door", config, events, pattern=name):
        assert events.expect(ReaderState).available
        card = rack.issued()
        card.insert()
        assert events.expect(BadgePresented).credential == Credential.uid(UID)
        assert GET_VERSION not in card.apdus


def _key_file(path: Path, mode: int = 0o600) -> Path:
    keys = SITE_KEYS
    write_key_file(
        path,
        ReadKeyFile(keys.read_master, int.from_bytes(keys.aid, "little"), "la-station", 1),
    )
    os.chmod(path, mode)
    return path


def test_a_configured_key_file_makes_secure_reads(
    pcscd: Pcscd, events: Events, rack: CardRack, tmp_path: Path
) -> None:
    _key_file(tmp_path / "desfire-read.json")
    name = pcscd.readers[0]
    config = ReaderConfig(path=f"pcsc:{name}", desfire_keys="desfire-read.json", debounce_s=0)
    with open_reader("door", config, events, keys_dir=tmp_path) as reader:
        assert isinstance(reader, PcscReader)
        assert events.expect(ReaderState).available
        rack.issued().insert()
        assert events.expect(BadgePresented).credential == SECURE


def test_a_key_file_others_may_read_stops_the_reader_with_the_reason(tmp_path: Path) -> None:
    path = _key_file(tmp_path / "desfire-read.json", 0o644)
    config = ReaderConfig(path="pcsc:ACR122", desfire_keys=str(path))
    with pytest.raises(DesfireKeyError, match="mode 0644 lets other users read"):
        open_reader("door", config, Events())
    with pytest.raises(DesfireKeyError, match="no DESFire key file"):
        open_reader("door", ReaderConfig(path="pcsc:x", desfire_keys="absent.json"), Events(),
                    keys_dir=tmp_path)  # fmt: skip


def test_only_readers_passing_apdus_take_desfire_keys() -> None:
    for path in ("sim:door", "keyboard:stdin"):
        with pytest.raises(ValueError, match=r"only a PC/SC \('pcsc:NAME-PATTERN'\) or nfc"):
            ReaderConfig(path=path, desfire_keys="desfire-read.json")
    assert ReaderConfig(path="nfc:usb", desfire_keys="desfire-read.json").desfire_keys
