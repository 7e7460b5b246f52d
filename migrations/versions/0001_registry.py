"""registry

Revision ID: 0001
Revises:
Create Date: 2026-11-25 03:58:03.460768
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "grids",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("timeframe_minutes", sa.Integer(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("import_price", sa.String(length=40), nullable=False),
        sa.Column("feed_in_price", sa.String(length=40), nullable=False),
        sa.Column("mechanism", sa.String(length=20), nullable=False),
        sa.Column("wei_per_minor_unit", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_grids")),
    )
    op.create_table(
        "ledger_deployments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("deployed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_deployments")),
    )
    op.create_table(
        "partners",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("trust_level", sa.Integer(), nullable=False),
        sa.Column("datapoints", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_partners_grid_id_grids")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partners")),
    )
    op.create_table(
        "prosumers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("wallet", sa.String(length=42), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_prosumers_grid_id_grids")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prosumers")),
        sa.UniqueConstraint("grid_id", "wallet", name=op.f("uq_prosumers_grid_id")),
    )
    with op.batch_alter_table("prosumers", schema=None) as batch_op:
        batch_op.create_index("ix_prosumers_grid_id_name", ["grid_id", "name"], unique=False)

    op.create_table(
        "timeframes",
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("snapshot_hash", sa.String(length=64), nullable=True),
        sa.Column("trades_hash", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_timeframes_grid_id_grids")
        ),
        sa.PrimaryKeyConstraint("grid_id", "start", name=op.f("pk_timeframes")),
    )
    with op.batch_alter_table("timeframes", schema=None) as batch_op:
        batch_op.create_index(
            "ix_timeframes_grid_id_status_start", ["grid_id", "status", "start"], unique=False
        )

    op.create_table(
        "api_keys",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=10), nullable=False),
        sa.Column("grid_id", sa.String(length=36), nullable=True),
        sa.Column("prosumer_id", sa.String(length=36), nullable=True),
        sa.Column("partner_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_api_keys_grid_id_grids")),
        sa.ForeignKeyConstraint(
            ["partner_id"], ["partners.id"], name=op.f("fk_api_keys_partner_id_partners")
        ),
        sa.ForeignKeyConstraint(
            ["prosumer_id"], ["prosumers.id"], name=op.f("fk_api_keys_prosumer_id_prosumers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("prefix", name=op.f("uq_api_keys_prefix")),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("prosumer_id", sa.String(length=36), nullable=False),
        sa.Column("timeframe_start", sa.DateTime(), nullable=False),
        sa.Column("side", sa.String(length=4), nullable=False),
        sa.Column("energy_wh", sa.BigInteger(), nullable=False),
        sa.Column("limit_price", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("filled_wh", sa.BigInteger(), nullable=False),
        sa.Column("trade_ids", sa.JSON(), nullable=False),
        sa.Column("idempotency_key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_orders_grid_id_grids")),
        sa.ForeignKeyConstraint(
            ["prosumer_id"], ["prosumers.id"], name=op.f("fk_orders_prosumer_id_prosumers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_orders")),
        sa.UniqueConstraint("prosumer_id", "idempotency_key", name=op.f("uq_orders_prosumer_id")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index(
            "ix_orders_grid_id_timeframe_start", ["grid_id", "timeframe_start"], unique=False
        )

    op.create_table(
        "readings",
        sa.Column("prosumer_id", sa.String(length=36), nullable=False),
        sa.Column("start", sa.DateTime(), nullable=False),
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("produced_wh", sa.BigInteger(), nullable=False),
        sa.Column("consumed_wh", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["grid_id"], ["grids.id"], name=op.f("fk_readings_grid_id_grids")),
        sa.ForeignKeyConstraint(
            ["prosumer_id"], ["prosumers.id"], name=op.f("fk_readings_prosumer_id_prosumers")
        ),
        sa.PrimaryKeyConstraint("prosumer_id", "start", name=op.f("pk_readings")),
    )
    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.create_index("ix_readings_grid_id_start", ["grid_id", "start"], unique=False)


def downgrade() -> None:

    with op.batch_alter_table("readings", schema=None) as batch_op:
        batch_op.drop_index("ix_readings_grid_id_start")

    op.drop_table("readings")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_grid_id_timeframe_start")

    op.drop_table("orders")
    op.drop_table("api_keys")
    with op.batch_alter_table("timeframes", schema=None) as batch_op:
        batch_op.drop_index("ix_timeframes_grid_id_status_start")

    op.drop_table("timeframes")
    with op.batch_alter_table("prosumers", schema=None) as batch_op:
        batch_op.drop_index("ix_prosumers_grid_id_name")

    op.drop_table("prosumers")
    op.drop_table("partners")
    op.drop_table("ledger_deployments")
    op.drop_table("grids")
