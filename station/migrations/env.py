"""Alembic environment: runs against the URL set by station.db.engine.alembic_config."""

from __future__ import annotations

from alembic import context

from station.db.engine import make_engine
from station.db.models import Base

target_metadata = Base.metadata


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "station.db.upgrade sets sqlalchemy.url"
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            context.configure(connection=connection, target_metadata=target_metadata,
                              render_as_batch=connection.dialect.name == "sqlite")
            context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(url=context.config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
