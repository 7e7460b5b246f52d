"""peak_pending: timeframes whose peak evaluation is due (the task's durable to-do list)

Revision ID: 0006_peak_pending
Revises: 0005_comm
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_peak_pending"
down_revision = "0005_comm"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "peak_pending",
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("marked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("grid_id", "start", name=op.f("pk_peak_pending")),
    )


def downgrade() -> None:
    op.drop_table("peak_pending")
