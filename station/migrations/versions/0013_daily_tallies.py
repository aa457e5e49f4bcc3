"""Daily tallies: entry and machine figures as anonymous cells; a visit keeps its plan.

The cells survive the purge of the movement logs (station/aggregates.py).

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.add_column(sa.Column("plan", sa.String(64), nullable=False, server_default=""))
    op.create_table(
        "entry_tallies",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("hour", sa.Integer(), primary_key=True),
        sa.Column("space", sa.String(64), primary_key=True),
        sa.Column("purpose", sa.String(64), primary_key=True),
        sa.Column("commune", sa.String(5), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("plan", sa.String(64), primary_key=True),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("timed", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=False),
        sa.Column("durations", sa.JSON(), nullable=False),
    )
    op.create_table(
        "usage_tallies",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("hour", sa.Integer(), primary_key=True),
        sa.Column("machine", sa.String(64), primary_key=True),
        sa.Column("sessions", sa.Integer(), nullable=False),
        sa.Column("seconds", sa.Float(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("usage_tallies")
    op.drop_table("entry_tallies")
    with op.batch_alter_table("visits") as batch:
        batch.drop_column("plan")
