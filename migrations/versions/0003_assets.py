"""assets, prosumer controls, the grid's plant, grid coordinates, consumer groups' members

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("grids") as batch:
        batch.add_column(sa.Column("latitude", sa.String(length=40), nullable=True))
        batch.add_column(sa.Column("longitude", sa.String(length=40), nullable=True))
    with op.batch_alter_table("prosumers") as batch:
        batch.add_column(sa.Column("members", sa.Integer(), nullable=True))
    op.create_table(
        "assets",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("prosumer_id", sa.String(length=36), nullable=False),
        sa.Column("type", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["prosumer_id"], ["prosumers.id"], name=op.f("fk_assets_prosumer_id_prosumers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assets")),
    )
    op.create_index("ix_assets_prosumer_id_created_at", "assets", ["prosumer_id", "created_at"])
    op.create_table(
        "prosumer_controls",
        sa.Column("prosumer_id", sa.String(length=36), nullable=False),
        sa.Column("input_ratio", sa.String(length=40), nullable=False),
        sa.Column("output_ratio", sa.String(length=40), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["prosumer_id"],
            ["prosumers.id"],
            name=op.f("fk_prosumer_controls_prosumer_id_prosumers"),
        ),
        sa.PrimaryKeyConstraint("prosumer_id", name=op.f("pk_prosumer_controls")),
    )
    op.create_table(
        "plants",
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("max_output_w", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("ratio", sa.String(length=40), nullable=False),
        sa.Column("buffer_capacity_wh", sa.BigInteger(), nullable=False),
        sa.Column("carbon_g_per_kwh", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_plants_grid_id_grids")),
        sa.PrimaryKeyConstraint("grid_id", name=op.f("pk_plants")),
    )


def downgrade() -> None:
    op.drop_table("plants")
    op.drop_table("prosumer_controls")
    op.drop_index("ix_assets_prosumer_id_created_at", table_name="assets")
    op.drop_table("assets")
    with op.batch_alter_table("prosumers") as batch:
        batch.drop_column("members")
    with op.batch_alter_table("grids") as batch:
        batch.drop_column("longitude")
        batch.drop_column("latitude")
