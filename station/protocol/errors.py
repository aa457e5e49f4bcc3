"""The protocol's error: a message or a command refused, and why."""

from __future__ import annotations

from station.errors import StationError
from station.protocol.vocabulary import Refusal


class ProtocolError(StationError, ValueError):
    """A bus message is malformed, unsigned, forged, expired or replayed: ``reason``
    says which (a `Refusal`: a typo is a type error), ``detail`` how."""

    def __init__(self, reason: Refusal, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
