"""Command requests: what the console asks a site's agent to do, and what came of it.

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "command_requests",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("resource", sa.String(64), nullable=False),
        sa.Column("agent_id", sa.String(64), nullable=True),
        sa.Column("command", sa.String(20), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("author", sa.String(254), nullable=False),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("command_id", sa.String(64), nullable=True),
        sa.Column("result", sa.String(254), nullable=False),
        sa.Column("finished_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_command_requests_site_state", "command_requests", ["site_id", "state"])
    op.create_index("ix_command_requests_requested_at", "command_requests", ["requested_at"])
    op.create_index("ix_command_requests_command_id", "command_requests", ["command_id"])


def downgrade() -> None:
    op.drop_table("command_requests")
