"""Staff console: accounts, audit log, signing secrets, and member search indexes.

The search indexes are on lower(name) and lower(email) (COLLATE "C" on PostgreSQL, so
that a prefix is a range scan whatever the database's collation) and on the commune:
the console finds a person among 100,000 by an index, never a scan.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None

_SEARCHED = ("first_name", "last_name", "email")


def upgrade() -> None:
    op.create_table(
        "staff_accounts",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("email", sa.String(254), nullable=False, unique=True),
        sa.Column("password_hash", sa.String(128), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("site_id", sa.String(64), nullable=True),
        sa.Column("session_version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("disabled_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("at", UTCDateTime(timezone=True), nullable=False, index=True),
        sa.Column("account", sa.String(254), nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("target", sa.String(254), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("remote_address", sa.String(64), nullable=False),
    )
    op.create_index("ix_audit_log_account_action_at", "audit_log", ["account", "action", "at"])
    op.create_index(
        "ix_audit_log_address_action_at", "audit_log", ["remote_address", "action", "at"]
    )
    op.create_index("ix_audit_log_action_at", "audit_log", ["action", "at"])
    op.create_table(
        "console_secrets",
        sa.Column("name", sa.String(40), primary_key=True),
        sa.Column("value", sa.String(128), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
    )
    collate = ' COLLATE "C"' if op.get_bind().dialect.name == "postgresql" else ""
    for column in _SEARCHED:
        op.execute(
            f"CREATE INDEX ix_members_search_{column} ON members (lower({column}){collate})"
        )
    op.create_index("ix_members_home_commune", "members", ["home_commune"])


def downgrade() -> None:
    op.drop_index("ix_members_home_commune", "members")
    for column in _SEARCHED:
        op.execute(f"DROP INDEX ix_members_search_{column}")
    op.drop_table("console_secrets")
    op.drop_table("audit_log")
    op.drop_table("staff_accounts")
