"""What the card operations need of a secure channel, EV2 (session.py) or EV1 (legacy.py)."""

from __future__ import annotations

import enum
from typing import Protocol


class CommMode(enum.Enum):
    """How a command and its answer are protected (DESFire's communication modes)."""

    PLAIN = "plain"
    MAC = "mac"  # integrity: a MAC on the command and on the answer
    FULL = "full"  # MAC and, where there is data, encryption (command data, answer data)


class Channel(Protocol):
    """An authenticated session with the card (ended by selecting an application)."""

    def send(
        self,
        command: int,
        header: bytes = b"",
        data: bytes = b"",
        *,
        mode: CommMode,
        lengths: tuple[int, ...] = (0,),
    ) -> bytes:
        """Send a command protected by ``mode``; return the answer's data, checked and
        deciphered, whose length must be one of ``lengths``. `CardError` otherwise."""
        ...

    def change_key(self, key_no: int, new_key: bytes, version: int, old_key: bytes | None) -> None:
        """ChangeKey; ``old_key`` None changes the key of this session, which ends it."""
        ...
