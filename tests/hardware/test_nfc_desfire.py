"""Secure reads of DESFire badges by the nfc backend, through nfcpy's real ``udp`` driver
and ISO-DEP initiator with the tests' virtual DESFire card behind a simulated ISO
14443-4 target: a badge of the site gives its secure credential, a clone a bad read
with its reason and the UID seen, a Type 2 tag its UID."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.desfire import SiteKeys, issue
from hardware.readers import open_reader
from hardware.readers.base import BadgePresented, BadgeRemoved, BadRead, ReaderState
from hardware.readers.nfc import NfcReader
from station.config.reader import ReaderConfig
from station.credential import Credential, CredentialKind, ReadFailure
from station.desfire_keys import ReadKeyFile, write_key_file
from tests.support.desfire_card import DesfireCard, Generation
from tests.support.desfire_rack import OTHER_SITE, SITE_KEYS, UID, VALUE
from tests.support.nfc_isodep_target import I_BLOCK, IsoDepTarget
from tests.support.nfc_target import NfcTarget
from tests.support.readers import Events

SECURE = Credential(CredentialKind.SECURE, VALUE)
CHAINED_I_BLOCK = I_BLOCK | 0x10


def _issued(generation: Generation = Generation.EV2, keys: SiteKeys = SITE_KEYS) -> DesfireCard:
    card = DesfireCard(UID, generation=generation)
    issue(card, keys, VALUE)
    card.apdus.clear()
    return card


def _config(port: int, **kwargs: str) -> ReaderConfig:
    return ReaderConfig(
        path=f"nfc:udp:127.0.0.1:{port}", debounce_s=0, sense_interval_s=0.05, **kwargs
    )


@pytest.fixture
def target() -> Iterator[IsoDepTarget]:
    with IsoDepTarget() as target:
        assert isinstance(target, IsoDepTarget)
        yield target


@pytest.fixture
def reader(target: IsoDepTarget, events: Events) -> Iterator[NfcReader]:
    config = _config(target.port)
    with NfcReader(
        "door", config, events, device=config.path[4:], read_keys=SITE_KEYS.read_keys()
    ) as reader:
        assert events.expect(ReaderState).available
        yield reader


def _failed(events: Events, reason: ReadFailure) -> BadRead:
    bad = events.expect(BadRead)
    assert bad.reason is reason, bad
    assert events.pending() == []  # no badge beside the failure, ever
    return bad


@pytest.mark.parametrize("generation", [Generation.EV2, Generation.EV1])
def test_a_badge_of_the_site_gives_its_secure_credential(
    reader: NfcReader, target: IsoDepTarget, events: Events, generation: Generation
) -> None:
    card = _issued(generation)
    target.present_card(card)
    assert events.expect(BadgePresented).credential == SECURE
    assert card.apdus[0] == bytes.fromhex("9060000000")  # GetVersion first, as on PC/SC
    target.remove()
    assert events.expect(BadgeRemoved).credential == SECURE  # nfcpy's presence check
    assert events.pending() == [] and reader.bad_reads == 0


def test_small_frames_chain_both_ways(events: Events) -> None:
    with IsoDepTarget(frame_size=16) as target:
        assert isinstance(target, IsoDepTarget)
        config = _config(target.port)
        keys = SITE_KEYS.read_keys()
        with NfcReader("door", config, events, device=config.path[4:], read_keys=keys):
            events.expect(ReaderState)
            target.present_card(_issued())
            assert events.expect(BadgePresented).credential == SECURE
        pcbs = {frame[0] & 0xFE for frame in target.frames}
        assert CHAINED_I_BLOCK in pcbs  # nfcpy cut a command into 13-byte blocks
        assert 0xA2 in pcbs  # and acknowledged the card's chained answers


def test_a_clone_with_the_same_uid_fails_auth_with_its_uid(
    reader: NfcReader, target: IsoDepTarget, events: Events
) -> None:
    clone = DesfireCard(UID)  # blank: the Station application is not there
    target.present_card(clone)
    assert _failed(events, ReadFailure.AUTH_FAILED).uid == Credential.uid(UID)
    target.remove()
    target.present_card(_issued())  # and the next badge is read
    assert events.expect(BadgePresented).credential == SECURE


def test_a_card_of_another_site_fails_auth(
    reader: NfcReader, target: IsoDepTarget, events: Events
) -> None:
    target.present_card(_issued(keys=OTHER_SITE))
    assert _failed(events, ReadFailure.AUTH_FAILED).uid == Credential.uid(UID)


def test_a_card_leaving_mid_read_is_a_bad_read_with_its_uid(
    reader: NfcReader, target: IsoDepTarget, events: Events
) -> None:
    card = _issued()
    card.vanish_after = 5  # GetVersion's three frames, select, file 0, then gone
    target.present_card(card)
    bad = _failed(events, ReadFailure.BAD_READ)
    assert bad.uid == Credential.uid(UID)
    assert len(card.apdus) == 6


def test_a_type_2_tag_is_read_by_its_uid(events: Events) -> None:
    with NfcTarget() as tag:
        config = _config(tag.port)
        keys = SITE_KEYS.read_keys()
        with NfcReader("door", config, events, device=config.path[4:], read_keys=keys):
            events.expect(ReaderState)
            tag.present("04A1B2C3D4E5F6")
            assert events.expect(BadgePresented).credential == Credential.uid(UID)


def test_a_key_file_on_an_nfc_path_makes_secure_reads(
    target: IsoDepTarget, events: Events, tmp_path: Path
) -> None:
    path = tmp_path / "desfire-read.json"
    aid = int.from_bytes(SITE_KEYS.aid, "little")
    write_key_file(path, ReadKeyFile(SITE_KEYS.read_master, aid, "la-station", 1))
    os.chmod(path, 0o600)
    config = _config(target.port, desfire_keys="desfire-read.json")
    with open_reader("door", config, events, keys_dir=tmp_path) as reader:
        assert isinstance(reader, NfcReader)
        events.expect(ReaderState)
        target.present_card(_issued())
        assert events.expect(BadgePresented).credential == SECURE
