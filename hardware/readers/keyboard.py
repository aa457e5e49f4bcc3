"""Keyboard-wedge readers: cheap USB readers that type the UID followed by Enter.

Read either from a Linux input device through evdev (grabbed, so the UID is
not also typed into whatever window has the focus) or from standard input.
These readers differ: some type hex, some a decimal number, some the bytes in
reverse order, hence ``uid_format``, ``byte_order`` and ``uid_length``.

A keyboard reader cannot tell when the card leaves: each line is a
presentation immediately followed by a removal (reported after ``debounce_s``,
so the same card typed twice within the window is one presentation).
"""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import threading
from typing import Any

from hardware.exc import ReaderUnavailable
from hardware.readers.base import EventSink, Reader
from station.config.reader import ReaderConfig
from station.credential import Credential

log = logging.getLogger(__name__)

RETRY_S = 1.0  # between attempts to reopen an input device that went away
MAX_LINE = 64


def parse_typed_uid(text: str, config: ReaderConfig) -> Credential:
    """The credential a keyboard reader typed; `ValueError` saying why if none."""
    text = text.strip()
    if not text:
        raise ValueError("empty line")
    if config.uid_format == "hex":
        cleaned = text.replace(":", "").replace("-", "").replace(" ", "")
        if len(cleaned) % 2 or not all(c in "0123456789abcdefABCDEF" for c in cleaned):
            raise ValueError(f"not an even number of hex digits: {text[:24]!r}")
        data = bytes.fromhex(cleaned)
    else:
        if not text.isascii() or not text.isdigit():
            raise ValueError(f"not a decimal number: {text[:24]!r}")
        number = int(text)
        # 10-digit readers type a 4-byte UID; longer numbers need more bytes.
        length = config.uid_length or max(4, (number.bit_length() + 7) // 8)
        if number >= 256**length:
            raise ValueError(f"{text[:24]} does not fit in {length} bytes")
        data = number.to_bytes(length, "big")
    if not 1 <= len(data) <= 10:
        raise ValueError(f"UID of {len(data)} bytes, expected 1 to 10")
    if config.byte_order == "lsb":
        data = data[::-1]
    return Credential.uid(data)


class KeyboardReader(Reader):
    """A keyboard-wedge reader on ``device``: 'stdin' or an evdev path in /dev/input."""

    def __init__(
        self,
        reader_id: str,
        config: ReaderConfig,
        on_event: EventSink,
        *,
        device: str,
        fd: int | None = None,
    ) -> None:
        super().__init__(reader_id, config, on_event)
        self.device = device
        self._fd = fd  # for 'stdin': another descriptor to read (a pipe in tests)
        self._wake_r = self._wake_w = -1  # a pipe that wakes the thread on close
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _open(self) -> None:
        target = self._run_stdin if self.device == "stdin" else self._run_evdev
        if self.device != "stdin":
            _evdev()  # fail now, not in the thread, if evdev is missing
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(
            target=target, name=f"keyboard {self.reader_id}", daemon=True
        )
        self._thread.start()

    def _shutdown(self) -> None:
        self._stop.set()
        if self._wake_w < 0:
            return  # _open failed before anything was started
        os.write(self._wake_w, b"x")
        if self._thread is not None:
            self._thread.join(timeout=5)
        for fd in (self._wake_r, self._wake_w):
            os.close(fd)

    def _line(self, text: str) -> None:
        try:
            credential = parse_typed_uid(text, self.config)
        except ValueError as exc:
            self._bad_read(str(exc))
            return
        self._card_present(credential)
        self._card_removed()

    def _run_stdin(self) -> None:
        fd = 0 if self._fd is None else self._fd
        self._set_available(True, "standard input")
        buffer = b""
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not any(key.fd == fd for key, _ in selector.select()):
                    continue
                chunk = os.read(fd, 4096)
                if not chunk:
                    self._set_available(False, "end of input")
                    return
                buffer += chunk.replace(b"\r", b"\n")
                *lines, buffer = buffer.split(b"\n")
                for raw in lines:
                    if raw.strip():
                        self._line(raw.decode("ascii", "replace"))
                if len(buffer) > MAX_LINE:
                    self._bad_read("line too long")
                    buffer = b""

    def _run_evdev(self) -> None:
        evdev = _evdev()
        while not self._stop.is_set():
            try:
                device = evdev.InputDevice(self.device)
            except OSError as exc:
                self._set_available(False, f"cannot open {self.device}: {exc.strerror}")
                self._stop.wait(RETRY_S)
                continue
            try:
                with contextlib.suppress(OSError):
                    device.grab()  # keep the UID out of other applications
                self._set_available(True, f"{device.name} on {self.device}")
                self._read_device(device, evdev)
            except OSError as exc:  # ENODEV: unplugged
                self._set_available(False, f"{self.device} went away: {exc.strerror}")
            finally:
                with contextlib.suppress(OSError):
                    device.close()
            self._stop.wait(RETRY_S)

    def _read_device(self, device: Any, evdev: Any) -> None:
        keys = _keymap(evdev.ecodes)
        typed: list[str] = []
        with selectors.DefaultSelector() as selector:
            selector.register(device.fd, selectors.EVENT_READ)
            selector.register(self._wake_r, selectors.EVENT_READ)
            while not self._stop.is_set():
                if not any(key.fd == device.fd for key, _ in selector.select()):
                    continue
                for event in device.read():
                    if event.type != evdev.ecodes.EV_KEY or event.value != 1:
                        continue  # only key presses, not releases or repeats
                    char = keys.get(event.code)
                    if char == "\n":
                        if typed:
                            self._line("".join(typed))
                        typed = []
                    elif char is not None and len(typed) < MAX_LINE:
                        typed.append(char)


def _keymap(ecodes: Any) -> dict[int, str]:
    keys = {getattr(ecodes, f"KEY_{c}"): c for c in "0123456789ABCDEF"}
    keys.update({getattr(ecodes, f"KEY_KP{d}"): d for d in "0123456789"})
    keys.update({ecodes.KEY_ENTER: "\n", ecodes.KEY_KPENTER: "\n"})
    # Anything else but modifiers breaks the line so that it is reported as a bad read.
    keys.update(
        {
            code: "?"
            for name, code in ecodes.ecodes.items()
            if name.startswith("KEY_")
            and code not in keys
            and not any(m in name for m in ("SHIFT", "CTRL", "ALT", "META", "CAPS"))
        }
    )
    return keys


def _evdev() -> Any:
    try:
        import evdev
    except ImportError as exc:
        raise ReaderUnavailable("keyboard readers on /dev/input need the evdev package") from exc
    return evdev
