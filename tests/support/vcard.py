"""A virtual contactless card for vsmartcard's vpcd reader, in stdlib Python.

The card is a TCP client of vpcd (``Virtual PCD 00 00`` listens on 35963, ``00 01``
on 35964): connecting inserts it, closing the socket removes it. Each message is
a 2-byte big-endian length and a payload; a 1-byte payload is a control code
(0 power off, 1 power on, 2 reset, 4 "send your ATR"), anything longer is a
command APDU answered with data + SW1 SW2. Debian's own vicc is broken on
bookworm, hence this one.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
from collections.abc import Callable
from types import TracebackType

# A MIFARE Classic 1K as PC/SC contactless readers report it (PC/SC part 3).
MIFARE_1K_ATR = bytes.fromhex("3B8F8001804F0CA000000306030001000000006A")
GET_UID = bytes.fromhex("FFCA0000")  # PC/SC GET DATA, P1=00: the UID
SW_OK = b"\x90\x00"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"
CTRL_OFF, CTRL_ON, CTRL_RESET, CTRL_ATR = 0, 1, 2, 4

Answer = Callable[[bytes], bytes]


def answer_status(sw: bytes) -> Answer:
    """Answer every APDU with this status word alone (e.g. 6A81: function not supported)."""
    return lambda apdu: sw


def answer_raw(data: bytes) -> Answer:
    """Answer every APDU with these exact bytes (short or malformed answers).

    Not empty: vpcd waits forever for an empty answer, hanging pcscd's transmit.
    """
    if not data:
        raise ValueError("an empty answer hangs vpcd; remove the card instead")
    return lambda apdu: data


class VirtualCard:
    """A card with a UID, inserted in a vpcd reader by `insert()`, removed by `remove()`."""

    def __init__(
        self,
        uid: bytes,
        port: int = 35963,
        atr: bytes = MIFARE_1K_ATR,
        answer: Answer | None = None,
        host: str = "127.0.0.1",
    ) -> None:
        self.uid = uid
        self.port = port
        self.atr = atr
        self.answer = answer
        self.host = host
        self.apdus: list[bytes] = []  # every command APDU received, for assertions
        self.powered = False
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def respond(self, apdu: bytes) -> bytes:
        if self.answer is not None:
            return self.answer(apdu)
        if apdu[:4] == GET_UID:
            return self.uid + SW_OK
        return SW_INS_NOT_SUPPORTED

    @property
    def inserted(self) -> bool:
        """Connected to vpcd (False once removed or once vpcd dropped it)."""
        return self._thread is not None and self._thread.is_alive()

    def insert(self) -> None:
        """Connect to vpcd: pcscd sees the card at its next poll (~400 ms)."""
        if self.inserted:
            return
        self.remove()
        sock = socket.create_connection((self.host, self.port), timeout=5)
        sock.settimeout(None)
        # Without these each APDU costs ~48 ms (Nagle on vpcd's side + delayed ACK).
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, args=(sock,), daemon=True, name=f"vcard-{self.uid.hex()}"
        )
        self._thread.start()

    def remove(self) -> None:
        """Close the connection: pcscd sees the card gone at its next poll. Safe twice."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):  # already dropped by vpcd
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(5)

    def _serve(self, sock: socket.socket) -> None:
        try:
            while (payload := self._receive(sock)) is not None:
                if len(payload) == 1:
                    if payload[0] == CTRL_ATR:
                        self._send(sock, self.atr)
                    else:
                        self.powered = payload[0] in (CTRL_ON, CTRL_RESET)
                    continue
                self.apdus.append(payload)
                answer = self.respond(payload)
                if not answer:  # vpcd would wait forever: vanish instead
                    break
                self._send(sock, answer)
        except OSError:
            pass  # removed, or vpcd went away (pcscd stopped)

    @staticmethod
    def _receive(sock: socket.socket) -> bytes | None:
        header = _receive_exactly(sock, 2)
        return None if header is None else _receive_exactly(sock, struct.unpack(">H", header)[0])

    @staticmethod
    def _send(sock: socket.socket, payload: bytes) -> None:
        sock.sendall(struct.pack(">H", len(payload)) + payload)

    def __enter__(self) -> VirtualCard:
        self.insert()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    close = remove


def _receive_exactly(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        # Linux clears QUICKACK after use: re-arm it before every read.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        chunk = sock.recv(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data
