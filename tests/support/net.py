"""Ports on the loopback interface."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.support.wait import poll

_TCP_TABLES = (Path("/proc/net/tcp"), Path("/proc/net/tcp6"))
_LISTEN = "0A"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def listening(port: int) -> bool:
    """Whether a socket listens on this TCP port, read from /proc.

    Never connects: a connection to vpcd's port would look like a card insertion.
    """
    suffix = f":{port:04X}"
    for table in _TCP_TABLES:
        try:
            lines = table.read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) > 3 and fields[1].endswith(suffix) and fields[3] == _LISTEN:
                return True
    return False


def wait_listening(port: int, timeout: float = 10.0, *, state: bool = True) -> bool:
    """Wait until the port listens (or, with ``state=False``, stops listening)."""
    return poll(lambda: listening(port) == state, timeout, interval=0.02) is not None
