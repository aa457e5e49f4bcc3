"""The floors of the reader benchmark: the same work by minimal scripts, same run.

sim, backend -> callback: a UID handed to the callback by a plain function call.
sim, tap (socket) -> callback: a bare UNIX socket server thread that reads one line,
calls the callback and answers, with the same client round trip as `station reader tap`.
pcsc: a raw pyscard loop on the same virtual reader and cards, blocking in
`SCardGetStatusChange` until the card is in, then `SCardConnect`, GET DATA
(`FF CA 00 00 00`) and `SCardDisconnect`: the least any PC/SC reader must do.
What the product adds (debounce, the reader's state, its events) is its own cost.
"""

from __future__ import annotations

import contextlib
import random
import socket
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from smartcard import scard

GET_UID = [0xFF, 0xCA, 0x00, 0x00, 0x00]


def sim_floor(uids: list[str]) -> list[float]:
    """Seconds from the 'card seen' moment to the callback, per UID."""
    arrivals: list[float] = []

    def callback(_uid: str, _at: float) -> None:
        arrivals.append(time.monotonic())

    delays = []
    for uid in uids:
        at = time.monotonic()
        callback(uid, at)
        delays.append(arrivals[-1] - at)
    return delays


@contextlib.contextmanager
def _line_server(path: Path, on_line: Callable[[bytes], None]) -> Iterator[None]:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen(8)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                return
            with conn:
                line = conn.makefile("rb").readline()
                on_line(line)
                conn.sendall(b"ok\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        server.close()
        thread.join(5)


def socket_floor(uids: list[str]) -> list[float]:
    """Seconds from the client's connect to the server's callback, per tap."""
    arrived: list[float] = []
    delays: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "floor.sock"
        with _line_server(path, lambda _line: arrived.append(time.monotonic())):
            for uid in uids:
                start = time.monotonic()
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
                    client.connect(str(path))
                    client.sendall(f"tap {uid}\n".encode())
                    client.recv(16)
                delays.append(arrived[-1] - start)
    return delays


def _wait_state(context: int, reader: str, state: int, present: bool) -> tuple[int, float]:
    """Block until the card is in (or out); its new state and when pcscd said so."""
    while True:
        hresult, changes = scard.SCardGetStatusChange(context, 10_000, [(reader, state)])
        if hresult != scard.SCARD_S_SUCCESS:
            raise RuntimeError(scard.SCardGetErrorMessage(hresult))
        _name, state, _atr = changes[0]
        state &= ~scard.SCARD_STATE_CHANGED
        if bool(state & scard.SCARD_STATE_PRESENT) == present:
            return state, time.monotonic()


def _read_uid(context: int, reader: str) -> bytes:
    hresult, card, protocol = scard.SCardConnect(
        context, reader, scard.SCARD_SHARE_SHARED, scard.SCARD_PROTOCOL_T0 | scard.SCARD_PROTOCOL_T1
    )
    if hresult != scard.SCARD_S_SUCCESS:
        raise RuntimeError(scard.SCardGetErrorMessage(hresult))
    try:
        hresult, answer = scard.SCardTransmit(card, protocol, GET_UID)
        if hresult != scard.SCARD_S_SUCCESS:
            raise RuntimeError(scard.SCardGetErrorMessage(hresult))
        return bytes(answer[:-2])
    finally:
        scard.SCardDisconnect(card, scard.SCARD_LEAVE_CARD)


def pcsc_floor(
    reader: str, taps: int, insert: Callable[[int], Callable[[], None]]
) -> tuple[list[float], list[float]]:
    """(card seen -> UID read, insertion -> UID read), in seconds, per tap. `insert(n)`
    puts card n in the field and returns what takes it out."""
    hresult, context = scard.SCardEstablishContext(scard.SCARD_SCOPE_USER)
    if hresult != scard.SCARD_S_SUCCESS:
        raise RuntimeError(scard.SCardGetErrorMessage(hresult))
    seen_to_read: list[float] = []
    tap_to_read: list[float] = []
    try:
        state, _ = _wait_state(context, reader, scard.SCARD_STATE_UNAWARE, present=False)
        for n in range(taps):
            time.sleep(random.uniform(0, 0.4))  # a tap at any phase of pcscd's poll
            start = time.monotonic()
            remove = insert(n)
            state, seen = _wait_state(context, reader, state, present=True)
            _read_uid(context, reader)
            done = time.monotonic()
            seen_to_read.append(done - seen)
            tap_to_read.append(done - start)
            remove()
            state, _ = _wait_state(context, reader, state, present=False)
    finally:
        scard.SCardReleaseContext(context)
    return seen_to_read, tap_to_read
