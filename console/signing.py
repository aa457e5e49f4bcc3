"""The console's signing secret: made once, kept in the database, shared by instances."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from station.db.staff import ConsoleSecret

COOKIE_SECRET = "cookies"


def cookie_secret(sessions: sessionmaker[Session], now: dt.datetime) -> str:
    """The secret, created at the first start; two instances starting at once agree
    (the second's insert fails on the key and it reads the first one's)."""
    with sessions() as db:
        found = db.get(ConsoleSecret, COOKIE_SECRET)
        if found is not None:
            return found.value
    try:
        with sessions() as db, db.begin():
            value = secrets.token_urlsafe(48)
            db.add(ConsoleSecret(name=COOKIE_SECRET, value=value, created_at=now))
        return value
    except IntegrityError:
        with sessions() as db:
            row = db.get(ConsoleSecret, COOKIE_SECRET)
            assert row is not None
            return row.value
