"""Identifiers: UUIDv7 for events (time-ordered), UUIDv4 elsewhere."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A random identifier for people, badges and other registry rows."""
    return uuid.uuid4()


def new_event_id() -> uuid.UUID:
    """A time-ordered identifier (UUIDv7) for events, visits and sessions."""
    return uuid.UUID(bytes=uuid6.uuid7().bytes)
