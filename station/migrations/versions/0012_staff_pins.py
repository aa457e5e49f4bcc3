"""Staff PINs: an argon2id hash on the member row, wrong attempts counted per site.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("members") as batch:
        batch.add_column(sa.Column("staff_pin_hash", sa.String(128), nullable=True))
    op.create_table(
        "staff_pin_failures",
        sa.Column("member_id", sa.Uuid(), sa.ForeignKey("members.id"), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("locked_until", UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("staff_pin_failures")
    with op.batch_alter_table("members") as batch:
        batch.drop_column("staff_pin_hash")
