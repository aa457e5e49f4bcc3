"""Age bands: a member's optional birth year, a visit's band, and the band in the entry cells.

The band is a key of the entry cells (station/ages.py); the cells and visits already
there are "" (not given): no one had given a birth year before.

Revision ID: 0017
Revises: 0016
"""

from collections import defaultdict
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

_KEY = ["site_id", "day", "hour", "space", "purpose", "commune", "kind", "plan"]
_PKEY = "entry_tallies_pkey"  # PostgreSQL's name for the key 0013 created


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("birth_year", sa.Integer(), nullable=True))
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("age_band", sa.String(8), nullable=False, server_default=""))
    _rekey([*_KEY, "age_band"], add=True)


def downgrade() -> None:
    _merge_bands()
    _rekey(_KEY, add=False)
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("age_band")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("birth_year")


def _rekey(columns: list[str], *, add: bool) -> None:
    # SQLite cannot alter a primary key: batch mode copies the table with the new key
    # (and its columns marked as such, the band among them or no longer).
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("entry_tallies", recreate="always" if sqlite else "auto") as batch:
        if add:
            band = sa.Column(
                "age_band", sa.String(8), nullable=False, server_default="", primary_key=sqlite
            )
            batch.add_column(band)
        if not sqlite:
            batch.drop_constraint(_PKEY, type_="primary")
        if not add:
            batch.drop_column("age_band")
        batch.create_primary_key(_PKEY, columns)


def _merge_bands() -> None:
    """The cells that differ by their band only, made one (the key without the band)."""
    cells = sa.table(
        "entry_tallies",
        *(sa.column(c) for c in _KEY),
        sa.column("age_band"),
        sa.column("entries"),
        sa.column("timed"),
        sa.column("minutes"),
        sa.column("durations", sa.JSON()),
    )
    connection = op.get_bind()
    merged: defaultdict[tuple[Any, ...], list[Any]] = defaultdict(lambda: [0, 0, 0.0, {}])
    rows = connection.execute(sa.select(cells).where(cells.c.age_band != "")).mappings().all()
    if not rows:
        return
    for row in connection.execute(sa.select(cells)).mappings():
        cell = merged[tuple(row[c] for c in _KEY)]
        cell[0] += row["entries"]
        cell[1] += row["timed"]
        cell[2] += row["minutes"]
        for bucket, count in (row["durations"] or {}).items():
            cell[3][bucket] = cell[3].get(bucket, 0) + count
    connection.execute(sa.delete(cells))
    connection.execute(
        sa.insert(cells),
        [
            {
                **dict(zip(_KEY, key, strict=True)),
                "age_band": "",
                "entries": e,
                "timed": t,
                "minutes": m,
                "durations": d,
            }
            for key, (e, t, m, d) in merged.items()
        ],
    )
