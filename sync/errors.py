"""The exception tree of the `sync` package (each also a built-in, as in station.errors)."""

from __future__ import annotations

from station.errors import StationError


class SyncError(StationError, RuntimeError):
    """A sync round could not complete; nothing is half-applied."""


class CentralUnavailable(SyncError, ConnectionError):
    """The central registry cannot be reached or refused the connection."""


class CentralRefused(SyncError, PermissionError):
    """Central refused a write (rights, constraints): retrying will not help by itself."""


class CentralNotSetUp(SyncError, LookupError):
    """Central answers but lacks the tables of this version: `station db upgrade --central`."""


# PostgreSQL's undefined_table and undefined_column; SQLite says it in words.
_NO_SCHEMA_STATES = frozenset({"42P01", "42703"})
_NO_SCHEMA_WORDS = ("no such table", "no such column")


def central_error(exc: BaseException) -> SyncError:
    """The sync error for a database error raised by central's driver."""
    from sqlalchemy.exc import InterfaceError, OperationalError

    orig = getattr(exc, "orig", None)
    lines = str(orig or exc).strip().splitlines()
    text = f"central registry: {lines[0] if lines else exc.__class__.__name__}"
    if getattr(orig, "sqlstate", None) in _NO_SCHEMA_STATES or any(
        text.startswith(f"central registry: {w}") for w in _NO_SCHEMA_WORDS
    ):
        return CentralNotSetUp(f"{text}: run `station db upgrade --central`")
    if isinstance(exc, OperationalError | InterfaceError):
        return CentralUnavailable(text)
    return CentralRefused(text)
