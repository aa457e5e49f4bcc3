"""Access events and machine sessions indexed by member: forgetting a person is a lookup.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_access_events_member_id", "access_events", ["member_id"])
    op.create_index("ix_machine_sessions_member_id", "machine_sessions", ["member_id"])


def downgrade() -> None:
    op.drop_index("ix_machine_sessions_member_id", "machine_sessions")
    op.drop_index("ix_access_events_member_id", "access_events")
