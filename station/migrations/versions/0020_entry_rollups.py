"""Entry roll-ups per day and month, the days changed since, the late rows already folded.

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "entry_rollups",
        sa.Column("dimension", sa.String(16), primary_key=True),
        sa.Column("grain", sa.String(8), primary_key=True),
        sa.Column("start", sa.Date(), primary_key=True),
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(64), primary_key=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("visitors", sa.Integer(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("durations", sa.JSON(), nullable=False),
        sa.Column("median", sa.Float(), nullable=True),
    )
    op.create_table(
        "stale_rollups",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
    )
    op.create_table(
        "folded_rows",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("folded_at", UTCDateTime(timezone=True), nullable=False),
    )
    # Every day that has cells is stale: the first roll-up (the daily purge, or
    # `station.aggregates.rebuild`) sums them all; until then reports read the cells.
    op.execute(
        "INSERT INTO stale_rollups (site_id, day) SELECT DISTINCT site_id, day FROM entry_tallies"
    )


def downgrade() -> None:
    op.drop_table("folded_rows")
    op.drop_table("stale_rollups")
    op.drop_table("entry_rollups")
