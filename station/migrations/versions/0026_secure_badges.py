"""Secure badges' policy: a member may be secure-only, a resource may require secure badges.

Both start off (false) for every row already there: nothing changes until staff say so.

Revision ID: 0026
Revises: 0025
"""

import sqlalchemy as sa
from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN on both engines: a batch would reflect `members`, whose indexes on
    # expressions (the people search) SQLite's reflection cannot copy.
    op.add_column(
        "members",
        sa.Column("secure_only", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "resources",
        sa.Column("require_secure", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def downgrade() -> None:
    # SQLite drops a column natively since 3.35; the indexes of `members` stay as they are.
    op.drop_column("resources", "require_secure")
    op.drop_column("members", "secure_only")
