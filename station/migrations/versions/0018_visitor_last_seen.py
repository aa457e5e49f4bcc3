"""When each visitor was last seen, kept as the purge deletes the visits that said it.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visitor_last_seen",
        sa.Column("member_id", sa.Uuid(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("seen_at", UTCDateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("visitor_last_seen")
