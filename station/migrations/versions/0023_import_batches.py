"""Import batches: a CSV file kept at central between its preview and its confirmation.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "import_batches",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False, index=True),
        sa.Column("account", sa.String(254), nullable=False),
        sa.Column("filename", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, index=True),
        sa.Column("content", sa.LargeBinary(), nullable=True),
        sa.Column("applied_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("result", sa.JSON(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("import_batches")
