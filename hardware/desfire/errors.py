"""The exception tree of `hardware.desfire`, each class also subclassing a built-in.

Every step of a DESFire exchange that does not go as NXP's documents say raises
`CardError` with a `ReadFailure` reason; the public operations re-raise it as
`SecureReadError` (reading) or `IssueError` (issuing, formatting), so that a caller
catches one class per operation and always learns why.
"""

from __future__ import annotations

from hardware.exc import HardwareError
from station.credential import ReadFailure


class DesfireError(HardwareError):
    """Base of every error raised on purpose by `hardware.desfire`."""


class CardGone(DesfireError, OSError):
    """The transport lost the card (removed from the field, reader unplugged)."""


class CardError(DesfireError, ValueError):
    """A step of the exchange failed: the card's answer, or its proof, is not right."""

    def __init__(self, reason: ReadFailure, detail: str) -> None:
        super().__init__(f"{reason.value}: {detail}")
        self.reason = reason
        self.detail = detail


class SecureReadError(CardError):
    """`read_secure` failed; the badge must be refused with ``reason``."""


class IssueError(CardError):
    """`issue` or `format_card` failed; the card may be half-written (format it)."""


def bad_read(detail: str) -> CardError:
    return CardError(ReadFailure.BAD_READ, detail)


def auth_failed(detail: str) -> CardError:
    return CardError(ReadFailure.AUTH_FAILED, detail)
