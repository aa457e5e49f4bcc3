"""A simulated reader, tapped from the process (`present`/`remove`) or from outside.

Other processes (``station reader tap``, the one ``station demo`` points to;
end-to-end tests, benchmarks) reach a running simulated reader through a Unix
socket speaking one command per line, each answered by one line::

    present 04A1B2C3   ->  ok     the badge is put on the reader and stays
    tap 04A1B2C3       ->  ok     put on, then taken off
    remove             ->  ok
    ping               ->  ok
    fail auth_failed [04A1B2C3]  ->  ok   a secure read that failed (with the card's UID)
    anything else      ->  error <why>

A badge is a plain UID (``04A1B2C3`` or ``uid:04A1B2C3``) or a secure credential as a
DESFire read would hand it up (``secure:`` and its value in hex, e.g. the 16 bytes of
the card's credential file).
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from collections.abc import Callable
from pathlib import Path

from hardware.exc import ReaderUnavailable, SimProtocolError
from hardware.readers.base import EventSink, Reader
from station.config.reader import ReaderConfig
from station.credential import Credential, CredentialKind, ReadFailure

log = logging.getLogger(__name__)

MAX_LINE = 256
_SUN_PATH_MAX = 107  # sockaddr_un.sun_path is 108 bytes with the final NUL
CLIENT_TIMEOUT_S = 5.0


def parse_badge(text: str) -> Credential:
    """A badge as the sim protocol and `station reader tap` write it: ``HEX``,
    ``uid:HEX`` or ``secure:HEX``; `ValueError` otherwise."""
    prefix, colon, value = text.partition(":")
    kind = prefix.lower() if colon and prefix.lower() in set(CredentialKind) else ""
    if kind != CredentialKind.SECURE:
        return Credential.uid(value if kind else text)
    try:
        return Credential(CredentialKind.SECURE, bytes.fromhex(value))
    except ValueError as exc:
        raise ValueError(f"not a hexadecimal secure credential: {text!r}") from exc


class SimReader(Reader):
    """A reader whose badges are presented by calling `present` and `remove`."""

    def __init__(
        self,
        reader_id: str,
        config: ReaderConfig,
        on_event: EventSink,
        *,
        socket_path: Path | None = None,
    ) -> None:
        super().__init__(reader_id, config, on_event)
        self.socket_path = socket_path
        self._server: SimSocketServer | None = None

    def present(self, uid: str | bytes | Credential, at: float | None = None) -> None:
        """Put a badge on the reader (a UID's raw bytes, a credential, or a text as
        `parse_badge` reads it: a hex UID or ``secure:HEX``)."""
        if isinstance(uid, str):
            uid = parse_badge(uid)
        credential = uid if isinstance(uid, Credential) else Credential.uid(uid)
        self._card_present(credential, at)

    def fail(self, reason: ReadFailure, uid: Credential | None = None) -> None:
        """A card whose secure read failed (`reason`), with its UID if the reader got it."""
        self._bad_read(f"simulated {reason}", reason, uid)

    def remove(self, at: float | None = None) -> None:
        """Take the badge off the reader."""
        self._card_removed(at)

    def _open(self) -> None:
        if self.socket_path is not None:
            self._server = SimSocketServer(self.socket_path, self.handle_line)
            self._server.start()
        self._set_available(True, "simulated reader")

    def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    def handle_line(self, line: str) -> None:
        """Run one protocol line; raise `SimProtocolError` if it is not understood."""
        words = line.split()
        if words[:1] in (["present"], ["tap"]) and len(words) == 2:
            try:
                self.present(parse_badge(words[1]))
            except ValueError as exc:
                raise SimProtocolError(str(exc)) from None
            if words[0] == "tap":
                self.remove()
        elif words[:1] == ["fail"] and len(words) in (2, 3):
            self._fail(words[1:])
        elif words == ["remove"]:
            self.remove()
        elif words != ["ping"]:
            raise SimProtocolError(
                f"unknown command {line[:40]!r}; expected "
                "'present HEX', 'tap HEX', 'fail REASON [HEX]', 'remove' or 'ping'"
            )

    def _fail(self, words: list[str]) -> None:
        try:
            reason = ReadFailure(words[0])
        except ValueError:
            expected = ", ".join(r.value for r in ReadFailure)
            raise SimProtocolError(
                f"unknown read failure {words[0][:40]!r}; expected {expected}"
            ) from None
        try:
            uid = Credential.uid(words[1]) if len(words) > 1 else None
        except ValueError as exc:
            raise SimProtocolError(str(exc)) from None
        self.fail(reason, uid)


class SimSocketServer:
    """A Unix stream socket server calling ``handle(line)`` for each line received."""

    def __init__(self, path: Path, handle: Callable[[str], None]) -> None:
        self.path = path
        self._handle = handle
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if len(os.fsencode(self.path)) > _SUN_PATH_MAX:
            raise ReaderUnavailable(f"socket path too long for a Unix socket: {self.path}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if self.path.exists() or self.path.is_symlink():
            if _is_listening(self.path):
                raise ReaderUnavailable(f"another simulated reader already listens on {self.path}")
            self.path.unlink()  # left over by a process that died
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.bind(os.fspath(self.path))
            os.chmod(self.path, 0o660)
            sock.listen(8)
        except OSError as exc:
            sock.close()
            raise ReaderUnavailable(f"cannot listen on {self.path}: {exc}") from exc
        self._sock = sock
        self._thread = threading.Thread(
            target=self._serve, name=f"sim-socket {self.path.name}", daemon=True
        )
        self._thread.start()

    def close(self) -> None:
        sock, self._sock = self._sock, None
        if sock is None:
            return
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)  # wakes accept() on Linux
        sock.close()
        if self._thread is not None:
            self._thread.join(timeout=CLIENT_TIMEOUT_S + 1)
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    def _serve(self) -> None:
        while (sock := self._sock) is not None:
            try:
                client, _ = sock.accept()
            except OSError:
                return  # closed
            with client:
                client.settimeout(CLIENT_TIMEOUT_S)  # a stuck client cannot block the reader
                try:
                    self._talk(client)
                except OSError as exc:
                    log.debug("sim socket client went away: %s", exc)

    def _talk(self, client: socket.socket) -> None:
        buffer = b""
        while True:
            chunk = client.recv(1024)
            if not chunk:
                return
            buffer += chunk
            while b"\n" in buffer:
                raw, buffer = buffer.split(b"\n", 1)
                client.sendall(self._answer(raw).encode() + b"\n")
            if len(buffer) > MAX_LINE:
                client.sendall(b"error line too long\n")
                return

    def _answer(self, raw: bytes) -> str:
        try:
            self._handle(raw.decode("ascii").strip())
        except UnicodeDecodeError:
            return "error not ASCII"
        except SimProtocolError as exc:
            log.warning("sim socket %s: %s", self.path, exc)
            return f"error {exc}"
        return "ok"


def _is_listening(path: Path) -> bool:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(os.fspath(path))
        except OSError:
            return False
    return True


def send_command(path: Path, line: str, timeout: float = CLIENT_TIMEOUT_S) -> str:
    """Send one line to a simulated reader's socket and return its answer line.

    Raises `ReaderUnavailable` if nothing listens there.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        try:
            sock.connect(os.fspath(path))
        except (FileNotFoundError, ConnectionRefusedError) as exc:
            raise ReaderUnavailable(f"no simulated reader listens on {path}") from exc
        sock.sendall(line.strip().encode("ascii") + b"\n")
        answer = b""
        while not answer.endswith(b"\n"):
            chunk = sock.recv(1024)
            if not chunk:
                break
            answer += chunk
    return answer.decode("ascii", "replace").strip()
