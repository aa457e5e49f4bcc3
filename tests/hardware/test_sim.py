"""The simulated reader's socket, and choosing a backend from the reader path."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from hardware.exc import HardwareError, ReaderUnavailable, UnknownReaderPath
from hardware.readers import open_reader
from hardware.readers.base import BadgePresented, BadgeRemoved, BadRead, ReaderState
from hardware.readers.keyboard import KeyboardReader
from hardware.readers.nfc import NfcReader
from hardware.readers.pcsc import PcscReader
from hardware.readers.sim import SimReader, parse_badge, send_command
from station.config.reader import ReaderConfig
from station.credential import Credential, CredentialKind, ReadFailure
from tests.support.readers import Events


def sim_at(path: Path, events: Events) -> SimReader:
    reader = SimReader(
        "kiosk", ReaderConfig(path="sim:kiosk", debounce_s=0), events, socket_path=path
    )
    reader.start()
    events.expect(ReaderState)
    return reader


def test_socket_present_remove_tap_and_ping(tmp_path: Path, events: Events) -> None:
    path = tmp_path / "var" / "sim" / "kiosk.sock"
    with sim_at(path, events):
        assert send_command(path, "present 04a1b2c3") == "ok"
        assert events.expect(BadgePresented).credential.hex == "04A1B2C3"
        assert send_command(path, "remove") == "ok"
        assert events.expect(BadgeRemoved).credential.hex == "04A1B2C3"
        assert send_command(path, "tap 04112233445566") == "ok"
        assert events.expect(BadgePresented).credential.hex == "04112233445566"
        assert isinstance(events.next(), BadgeRemoved)
        assert send_command(path, "ping") == "ok"
    assert not path.exists()  # removed on close


@pytest.mark.parametrize("line", ["present zz", "present", "open the door", "tap 1"])
def test_socket_refuses_bad_lines_and_keeps_serving(
    tmp_path: Path, events: Events, line: str
) -> None:
    path = tmp_path / "r.sock"
    with sim_at(path, events):
        assert send_command(path, line).startswith("error ")
        assert send_command(path, "tap 04A1B2C3") == "ok"
        assert isinstance(events.next(), BadgePresented)


def test_several_lines_on_one_connection(tmp_path: Path, events: Events) -> None:
    path = tmp_path / "r.sock"
    with sim_at(path, events), socket.socket(socket.AF_UNIX) as client:
        client.connect(str(path))
        client.sendall(b"present 01020304\nremove\n\xff\xfe\n")
        answers = b""
        while answers.count(b"\n") < 3:
            answers += client.recv(100)
    assert answers.decode().splitlines() == ["ok", "ok", "error not ASCII"]


def test_a_stale_socket_file_is_replaced_but_a_live_one_is_not(
    tmp_path: Path, events: Events
) -> None:
    path = tmp_path / "r.sock"
    with socket.socket(socket.AF_UNIX) as dead:  # left over by a process that died
        dead.bind(str(path))
    with sim_at(path, events):
        other = SimReader("kiosk2", ReaderConfig(path="sim:k2"), Events(), socket_path=path)
        with pytest.raises(ReaderUnavailable, match="already listens"):
            other.start()
        other.close()
        assert send_command(path, "ping") == "ok"


def test_send_command_with_nobody_listening(tmp_path: Path) -> None:
    with pytest.raises(ReaderUnavailable, match="no simulated reader listens"):
        send_command(tmp_path / "nothing.sock", "ping")


@pytest.mark.parametrize(
    ("path", "cls"),
    [
        ("sim:kiosk", SimReader),
        ("pcsc:ACR122", PcscReader),
        ("nfc:usb", NfcReader),
        ("nfc:tty:AMA0:pn532", NfcReader),
        ("nfc:udp:127.0.0.1:54321", NfcReader),
        ("keyboard:stdin", KeyboardReader),
        ("keyboard:/dev/input/event3", KeyboardReader),
    ],
)
def test_open_reader_picks_the_backend_from_the_path(path: str, cls: type) -> None:
    reader = open_reader("x", ReaderConfig(path=path), Events())
    assert type(reader) is cls
    assert not reader.available  # not started yet
    reader.close()


@pytest.mark.parametrize(
    "path", ["usb:072f", "sim:", "pcsc", "nfc:bluetooth", "keyboard:event3", ""]
)
def test_open_reader_refuses_unknown_paths_clearly(path: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="a reader path"):  # the config check first
        ReaderConfig(path=path)
    # A config built without validation still meets a clear refusal here.
    with pytest.raises(UnknownReaderPath, match="expected") as info:
        open_reader("front-door", ReaderConfig.model_construct(path=path), Events())
    assert isinstance(info.value, HardwareError) and isinstance(info.value, ValueError)
    assert "front-door" in str(info.value)


def test_socket_presents_secure_badges_and_failed_secure_reads(
    tmp_path: Path, events: Events
) -> None:
    path = tmp_path / "r.sock"
    with sim_at(path, events):
        assert send_command(path, "tap secure:00112233445566778899aabbccddeeff") == "ok"
        presented = events.expect(BadgePresented).credential
        assert presented.kind is CredentialKind.SECURE
        assert presented.hex == "00112233445566778899AABBCCDDEEFF"
        assert isinstance(events.next(), BadgeRemoved)
        assert send_command(path, "tap uid:04A1B2C3") == "ok"
        assert events.expect(BadgePresented).credential == Credential.uid("04A1B2C3")
        assert isinstance(events.next(), BadgeRemoved)
        assert send_command(path, "fail auth_failed 04A1B2C3") == "ok"
        failed = events.expect(BadRead)
        assert (failed.reason, failed.uid) == (ReadFailure.AUTH_FAILED, Credential.uid("04A1B2C3"))
        assert send_command(path, "fail bad_read") == "ok"
        bad = events.expect(BadRead)
        assert (bad.reason, bad.uid) == (ReadFailure.BAD_READ, None)
        for line in ("fail granted", "fail auth_failed zz", "tap secure:zz", "fail"):
            assert send_command(path, line).startswith("error "), line


def test_parse_badge_reads_the_kind_prefix() -> None:
    assert parse_badge("04a1b2c3") == Credential.uid("04A1B2C3")
    assert parse_badge("UID:04a1b2c3") == Credential.uid("04A1B2C3")
    assert parse_badge("secure:0102") == Credential(CredentialKind.SECURE, b"\x01\x02")
    with pytest.raises(ValueError, match="not a hexadecimal"):
        parse_badge("magic:0102")
