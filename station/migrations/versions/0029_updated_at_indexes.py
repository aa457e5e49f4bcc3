"""An index on `updated_at` of every replicated table.

The grant compiler's fingerprint takes each table's highest `updated_at`, and its
cache looks for the rows changed since (`sync.grant_cache`): with 150,000 badges a
scan each time was 140 ms of every revocation's way to the agents; an index makes
both a few lookups.

Revision ID: 0029
Revises: 0028
"""

from alembic import op

revision = "0029"
down_revision = "0028"
branch_labels = None
depends_on = None

REPLICATED = (
    "credentials",
    "member_trainings",
    "members",
    "memberships",
    "opening_exceptions",
    "opening_hours",
    "resources",
    "trainings",
)


def upgrade() -> None:
    for table in REPLICATED:
        op.create_index(f"ix_{table}_updated_at", table, ["updated_at"])


def downgrade() -> None:
    for table in REPLICATED:
        op.drop_index(f"ix_{table}_updated_at", table_name=table)
