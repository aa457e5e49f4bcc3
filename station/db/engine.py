"""Engines and migrations; nothing here runs at import time."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from station.errors import DatabaseError, DatabaseUnreachable

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite files get WAL and foreign keys, their folder created."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseError(f"not a database URL: {url!r}") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        kwargs.setdefault("connect_args", {"timeout": 30})
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL: the kiosk reads while sync writes; foreign keys are off by default in SQLite.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def open_database(url: str, what: str = "site database") -> Engine:
    """An engine on an existing database at the schema this code expects, or a
    `DatabaseError` saying what to do; never creates an empty SQLite file.

    `DatabaseUnreachable` (a `DatabaseError`) when the server does not answer."""
    from alembic.script import ScriptDirectory
    from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    command = "station db upgrade" + (" --central" if "central" in what else "")
    file = parsed.database if parsed.get_backend_name() == "sqlite" else None
    if file not in (None, "", ":memory:") and not Path(str(file)).exists():
        raise DatabaseError(f"the {what} {file} does not exist yet: run `{command}`")
    engine = make_engine(url)
    try:
        current = _revision_of(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        # No answer (refused, timed out, locked) is an outage: `DatabaseUnreachable`.
        # Anything else (not a database, no right to read it) is for whoever set it up.
        error = (
            DatabaseUnreachable
            if isinstance(exc, OperationalError | InterfaceError)
            else DatabaseError
        )
        raise error(f"cannot open the {what} {shown}: {reason}") from None
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    if current != head:
        engine.dispose()
        state = "is empty" if current is None else f"is at schema {current}, not {head}"
        raise DatabaseError(f"the {what} {shown} {state}: run `{command}`")
    return engine


def _revision_of(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def alembic_config(url: str) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Create or upgrade the database at `url` to `revision`."""
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        return _revision_of(engine)
    finally:
        engine.dispose()
