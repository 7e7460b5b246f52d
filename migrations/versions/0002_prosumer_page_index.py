"""prosumers: page index on (grid_id, name, id)

A grid's prosumer list is ordered by name, then id; with id in the index the first page is an index
walk instead of sorting every prosumer of the grid.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_prosumers_grid_id_name_id", "prosumers", ["grid_id", "name", "id"])
    op.drop_index("ix_prosumers_grid_id_name", table_name="prosumers")


def downgrade() -> None:
    op.create_index("ix_prosumers_grid_id_name", "prosumers", ["grid_id", "name"])
    op.drop_index("ix_prosumers_grid_id_name_id", table_name="prosumers")
