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
    with op.batch_alter_table("members") as batch:
        batch.add_column(
            sa.Column("secure_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("resources") as batch:
        batch.add_column(
            sa.Column("require_secure", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("require_secure")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("secure_only")
