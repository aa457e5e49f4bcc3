"""What sync last published to each agent, and that agent's grants state at central.

The staff views tell an agent in step from one behind or diverged (`station.grant_state`).

Revision ID: 0028
Revises: 0027
"""

import sqlalchemy as sa
from alembic import op

revision = "0028"
down_revision = "0027"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # 0 and "": nothing recorded yet (unknown) until sync next publishes.
    op.add_column(
        "agent_status",
        sa.Column("expected_version", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.add_column(
        "agent_status",
        sa.Column("expected_digest", sa.String(64), nullable=False, server_default=""),
    )
    op.add_column(
        "site_agents",
        sa.Column("grants_state", sa.String(20), nullable=False, server_default="unknown"),
    )


def downgrade() -> None:
    op.drop_column("site_agents", "grants_state")
    op.drop_column("agent_status", "expected_digest")
    op.drop_column("agent_status", "expected_version")
