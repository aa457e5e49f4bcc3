"""The nfc backend through nfcpy's udp driver and a simulated NFC-A Type 2 tag."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hardware.readers import open_reader
from hardware.readers.base import BadgePresented, BadgeRemoved, ReaderState
from hardware.readers.nfc import NfcReader
from station.config.reader import ReaderConfig
from tests.support.nfc_target import NfcTarget
from tests.support.readers import Events


@pytest.fixture
def target() -> Iterator[NfcTarget]:
    with NfcTarget() as target:
        yield target


@pytest.mark.parametrize("uid", ["04A1B2C3D4E5F6", "1A2B3C4D"])
def test_reads_a_tag_once_while_held_then_its_removal(
    target: NfcTarget, events: Events, uid: str
) -> None:
    config = ReaderConfig(
        path=f"nfc:udp:127.0.0.1:{target.port}", debounce_s=0, sense_interval_s=0.05
    )
    with open_reader("laser", config, events) as reader:
        assert isinstance(reader, NfcReader)
        state = events.expect(ReaderState)
        assert state.available and "udp" in state.detail
        target.present(uid)
        presented = events.expect(BadgePresented)
        assert (presented.reader_id, presented.credential.hex) == ("laser", uid)
        target.remove()
        assert events.expect(BadgeRemoved).credential.hex == uid
        assert events.pending() == []  # nfcpy checked presence many times: reported once
        target.present(uid)  # and the next tap is read
        assert events.expect(BadgePresented).credential.hex == uid
    assert reader._thread is not None and not reader._thread.is_alive()


def test_missing_usb_device_is_unavailable_not_a_crash(events: Events) -> None:
    with open_reader("door", ReaderConfig(path="nfc:usb:ffff:ffff"), events) as reader:
        state = events.expect(ReaderState)
        assert not state.available
        assert "usb:ffff:ffff" in state.detail
        assert not reader.available
