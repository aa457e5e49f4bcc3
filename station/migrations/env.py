"""Alembic environment: runs against the URL set by station.db.engine.alembic_config.

Alembic's own loggers stay at WARNING (station.cli.main): each migration that runs
is one INFO line of `station.migrations` instead.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext, MigrationInfo
from sqlalchemy.engine import make_url

from station.db.command_requests import CommandRequest  # noqa: F401  (its table in Base.metadata)
from station.db.engine import make_engine
from station.db.models import Base
from station.db.refusals import CentralRefusal  # noqa: F401  (its table in Base.metadata)
from station.db.site_live import SiteLink  # noqa: F401  (its tables in Base.metadata)
from station.db.staff import StaffAccount  # noqa: F401  (its tables in Base.metadata)
from station.db.tallies import EntryTally  # noqa: F401  (its tables in Base.metadata)

target_metadata = Base.metadata
log = logging.getLogger("station.migrations")


def log_step(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """One line per migration applied: `database: upgrade 0001 -> 0010 (what it does)`."""
    if step.is_stamp:
        return
    url = make_url(context.config.get_main_option("sqlalchemy.url") or "")
    log.info(
        "%s: %s %s -> %s (%s)",
        url.render_as_string(hide_password=True),
        "upgrade" if step.is_upgrade else "downgrade",
        ", ".join(step.source_revision_ids) or "empty",
        ", ".join(step.destination_revision_ids) or "empty",
        getattr(step.up_revision, "doc", "") or "no description",
    )


def run_migrations_online() -> None:
    url = context.config.get_main_option("sqlalchemy.url")
    assert url, "station.db.upgrade sets sqlalchemy.url"
    engine = make_engine(url)
    try:
        with engine.begin() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                on_version_apply=log_step,
            )
            context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=context.config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_migrations_online()
