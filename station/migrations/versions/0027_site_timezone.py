"""Each site's time zone at central, from its heartbeat, for the local times the console reads.

Revision ID: 0027
Revises: 0026
"""

import sqlalchemy as sa
from alembic import op

revision = "0027"
down_revision = "0026"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Empty until the site's next heartbeat: the console's own zone meanwhile.
    op.add_column(
        "site_links", sa.Column("timezone", sa.String(64), nullable=False, server_default="")
    )


def downgrade() -> None:
    op.drop_column("site_links", "timezone")
