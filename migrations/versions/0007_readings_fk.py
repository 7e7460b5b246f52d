"""readings keep one foreign key, to their prosumer (the one to grids goes)

PostgreSQL checks a foreign key with one trigger query per inserted row: two keys were most of
a bulk write's time (a simulated month: 2.88 million readings). The key to prosumers stays;
a reading's grid is its prosumer's grid, which the metering path checks under the grid's lock
before anything is written (422 otherwise), and the prosumer's own key ties it to an existing
grid. (A composite key (prosumer_id, grid_id) -> prosumers (id, grid_id) was measured too: the
same one trigger, but without statistics PostgreSQL planned its lookup through a grid_id index,
500 rows per check.)

Revision ID: 0007_readings_fk
Revises: 0006_peak_pending
"""

from __future__ import annotations

from alembic import op

revision = "0007_readings_fk"
down_revision = "0006_peak_pending"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("readings") as batch:
        batch.drop_constraint("fk_readings_grid_id_grids", type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("readings") as batch:
        batch.create_foreign_key("fk_readings_grid_id_grids", "grids", ["grid_id"], ["id"])
