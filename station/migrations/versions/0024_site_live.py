"""Live sites: each site's last upload, its agents' last statuses, check-outs asked from the office.

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "site_links",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("heard_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("poll_s", sa.Float(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "site_agents",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("agent_id", sa.String(64), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("resource", sa.String(64), nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("status", sa.JSON(), nullable=False),
        sa.Column("alarms", sa.JSON(), nullable=False),
        sa.Column("seen_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "checkout_requests",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("site_id", sa.String(64), nullable=False),
        sa.Column("visit_id", sa.Uuid(), nullable=False),
        sa.Column("author", sa.String(254), nullable=False),
        sa.Column("requested_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("settled_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_checkout_requests_site_state", "checkout_requests", ["site_id", "state"])


def downgrade() -> None:
    op.drop_table("checkout_requests")
    op.drop_table("site_agents")
    op.drop_table("site_links")
