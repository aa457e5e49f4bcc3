"""The exception tree of the `sync` package (each also a built-in, as in station.errors)."""

from __future__ import annotations

from station.errors import StationError


class SyncError(StationError, RuntimeError):
    """A sync round could not complete; nothing is half-applied."""


class CentralUnavailable(SyncError, ConnectionError):
    """The central registry cannot be reached or refused the connection."""


class BrokerUnavailable(SyncError, ConnectionError):
    """The MQTT broker cannot be reached."""


class CentralRefused(SyncError, PermissionError):
    """Central refused a write (rights, constraints): retrying will not help by itself."""


def central_error(exc: BaseException) -> SyncError:
    """The sync error for a database error raised by central's driver."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    lines = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    text = f"central registry: {lines[0] if lines else exc.__class__.__name__}"
    if isinstance(exc, OperationalError | InterfaceError):
        return CentralUnavailable(text)
    return CentralRefused(text)
