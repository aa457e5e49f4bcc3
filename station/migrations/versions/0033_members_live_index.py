"""The live members' ids in a partial index.

The console's dashboard counts the live people of the registry on every opening: on
PostgreSQL a scan of the whole table (19 MB for 100,000 people and 23,000 tombstones),
15 ms. An index of the live ids alone is counted by an index-only scan, 6 ms.

Revision ID: 0033
Revises: 0032
"""

import sqlalchemy as sa
from alembic import op

revision = "0033"
down_revision = "0032"
branch_labels = None
depends_on = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    op.create_index(
        "ix_members_live", "members", ["id"], postgresql_where=_LIVE, sqlite_where=_LIVE
    )


def downgrade() -> None:
    op.drop_index("ix_members_live", table_name="members")
