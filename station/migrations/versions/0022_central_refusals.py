"""Central's own record of the rows it refused, and the record a merged person went into.

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "central_refusals",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("entity", sa.String(40), nullable=False),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Uuid(), nullable=True),
        sa.Column("other_member_id", sa.Uuid(), nullable=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("origin_site", sa.String(64), nullable=True),
        sa.Column("dirty", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_central_refusals_revision", "central_refusals", ["revision"])
    op.create_index("ix_central_refusals_dirty", "central_refusals", ["dirty"])
    op.create_index("ix_central_refusals_member_id", "central_refusals", ["member_id"])
    op.create_index("ix_central_refusals_other_member_id", "central_refusals", ["other_member_id"])
    op.create_index(
        "ix_central_refusals_site_resolved", "central_refusals", ["site_id", "resolved_at"]
    )
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("merged_into", sa.Uuid(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.drop_column("merged_into")
    op.drop_table("central_refusals")
