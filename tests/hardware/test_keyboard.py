"""Keyboard-wedge readers: typed UIDs parsed per config, fed through a pipe (or uinput)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.readers.base import BadgePresented, BadgeRemoved, BadRead, ReaderState
from hardware.readers.keyboard import KeyboardReader, parse_typed_uid
from station.config.reader import ReaderConfig
from tests.support.readers import Events


def cfg(**kwargs: object) -> ReaderConfig:
    return ReaderConfig.model_validate({"path": "keyboard:stdin", "debounce_s": 0, **kwargs})


@pytest.mark.parametrize(
    ("typed", "settings", "expected"),
    [
        ("04A1B2C3", {}, "04A1B2C3"),
        ("04:a1:b2:c3:d4:e5:f6", {}, "04A1B2C3D4E5F6"),
        ("C3B2A104", {"byte_order": "lsb"}, "04A1B2C3"),
        ("0077705923", {"uid_format": "decimal"}, "04A1B2C3"),  # 0x04A1B2C3
        ("3283263748", {"uid_format": "decimal", "byte_order": "lsb"}, "04A1B2C3"),  # 0xC3B2A104
        ("1", {"uid_format": "decimal", "uid_length": 7}, "00000000000001"),
        ("  04A1B2C3 \r", {}, "04A1B2C3"),
    ],
)
def test_typed_uids_are_parsed_per_config(
    typed: str, settings: dict[str, object], expected: str
) -> None:
    assert parse_typed_uid(typed, cfg(**settings)).hex == expected


@pytest.mark.parametrize(
    ("typed", "settings"),
    [
        ("", {}),
        ("04A1B2C", {}),
        ("hello!", {}),
        ("04 A1 ZZ", {}),
        ("12ab", {"uid_format": "decimal"}),
        ("4294967296", {"uid_format": "decimal", "uid_length": 4}),
        ("٣٤", {"uid_format": "decimal"}),
        ("00" * 11, {}),
    ],
)
def test_garbage_is_refused_with_a_reason(typed: str, settings: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"\w"):
        parse_typed_uid(typed, cfg(**settings))


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_fd, write_fd = os.pipe()
    yield read_fd, write_fd
    for fd in (read_fd, write_fd):
        with contextlib.suppress(OSError):  # the test may have closed it
            os.close(fd)


def test_lines_from_a_pipe_become_taps_and_bad_reads(pipe: tuple[int, int], events: Events) -> None:
    read_fd, write_fd = pipe
    with KeyboardReader("kiosk", cfg(), events, device="stdin", fd=read_fd):
        assert events.expect(ReaderState).available
        os.write(write_fd, b"04A1B2C3\r\n")
        assert events.expect(BadgePresented).credential.hex == "04A1B2C3"
        assert events.expect(BadgeRemoved).credential.hex == "04A1B2C3"
        os.write(write_fd, b"not a badge\n04112233")
        assert "hex" in events.expect(BadRead).detail
        os.write(write_fd, b"445566\n")  # a line may arrive in pieces
        assert events.expect(BadgePresented).credential.hex == "04112233445566"
        assert isinstance(events.next(), BadgeRemoved)
        os.close(write_fd)
        end = events.expect(ReaderState)
        assert not end.available and end.detail == "end of input"


def test_close_interrupts_a_waiting_reader(pipe: tuple[int, int], events: Events) -> None:
    reader = KeyboardReader("kiosk", cfg(), events, device="stdin", fd=pipe[0])
    reader.start()
    events.expect(ReaderState)
    reader.close()
    reader.close()
    assert reader._thread is not None and not reader._thread.is_alive()


@pytest.mark.skipif(not os.access("/dev/uinput", os.W_OK), reason="no /dev/uinput here")
def test_evdev_device(events: Events) -> None:  # pragma: no cover - needs uinput
    from evdev import UInput, ecodes

    with UInput(name="station-test-reader") as device:
        path = Path(str(device.device.path))
        with KeyboardReader("kiosk", cfg(path=f"keyboard:{path}"), events, device=str(path)):
            assert events.expect(ReaderState).available
            for key in ("KEY_0", "KEY_4", "KEY_A", "KEY_1", "KEY_ENTER"):
                code = getattr(ecodes, key)
                device.write(ecodes.EV_KEY, code, 1)
                device.write(ecodes.EV_KEY, code, 0)
                device.syn()
            assert events.expect(BadgePresented).credential.hex == "04A1"


def test_missing_input_device_is_unavailable(events: Events, tmp_path: Path) -> None:
    path = tmp_path / "event99"
    with KeyboardReader("kiosk", cfg(path=f"keyboard:{path}"), events, device=str(path)):
        state = events.expect(ReaderState)
    assert not state.available and str(path) in state.detail
