"""First visits, distinct people per period, skills recorded and companies created.

Revision ID: 0014
Revises: 0013
"""

import sqlalchemy as sa
from alembic import op

from station.db.types import UTCDateTime

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _history() -> list[sa.Column[object]]:
    return [
        sa.Column("site_id", sa.String(64), nullable=False, index=True),
        sa.Column("uploaded_at", UTCDateTime(timezone=True), nullable=True, index=True),
    ]


def upgrade() -> None:
    op.create_table(
        "first_visits",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("member_id", sa.Uuid(), primary_key=True),
        sa.Column("day", sa.Date(), nullable=False),
    )
    op.create_table(
        "period_people",
        sa.Column("site_id", sa.String(64), primary_key=True),
        sa.Column("report", sa.String(16), primary_key=True),
        sa.Column("period", sa.String(16), primary_key=True),
        sa.Column("key", sa.String(16), primary_key=True),
        sa.Column("dimension", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(64), primary_key=True),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("first_time", sa.Integer(), nullable=True),
        sa.Column("frozen_at", UTCDateTime(timezone=True), nullable=True),
    )
    op.create_table(
        "skill_records",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("member_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("skill", sa.String(64), nullable=False),
        sa.Column("recorded_on", sa.Date(), nullable=False, index=True),
        sa.Column("recorded_by", sa.String(100), nullable=False),
        *_history(),
    )
    op.create_table(
        "companies",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("member_id", sa.Uuid(), nullable=True, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("siren", sa.String(9), nullable=False, index=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("offer", sa.String(64), nullable=False),
        sa.Column("recorded_at", UTCDateTime(timezone=True), nullable=False),
        *_history(),
    )


def downgrade() -> None:
    for table in ("companies", "skill_records", "period_people", "first_visits"):
        op.drop_table(table)
