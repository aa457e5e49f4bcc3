"""Visits may lose their member once the retention period is over.

Revision ID: 0010
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("visits") as batch:
        batch.alter_column("member_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    op.execute("DELETE FROM visits WHERE member_id IS NULL")
    with op.batch_alter_table("visits") as batch:
        batch.alter_column("member_id", existing_type=sa.Uuid(), nullable=False)
