"""The people of periods not closed yet whose visits the purge is about to unlink.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "period_members",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("report", sa.String(16), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(16), primary_key=True),
        sa.Column("dimension", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.Uuid(), primary_key=True),
    )
    op.create_index("ix_period_members_member_id", "period_members", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_period_members_member_id", table_name="period_members")
    op.drop_table("period_members")
