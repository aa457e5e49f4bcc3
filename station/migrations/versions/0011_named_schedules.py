"""A resource names any schedule of the configuration, not only two.

Revision ID: 0011
Revises: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.alter_column("schedule", existing_type=sa.String(20), type_=sa.String(64))


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.alter_column("schedule", existing_type=sa.String(64), type_=sa.String(20))
