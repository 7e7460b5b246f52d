"""communities (with their demand-response state), prosumers' community, peaks, device commands

Revision ID: 0005_comm
Revises: 0005_corr (linearised after main merged 0005_corr)
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_comm"
down_revision = "0005_corr"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "communities",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("peak_threshold_w", sa.BigInteger(), nullable=False),
        sa.Column("peak_hysteresis", sa.String(length=40), nullable=False),
        sa.Column("autarkic", sa.Boolean(), nullable=False),
        sa.Column("peak_id", sa.String(length=36), nullable=True),
        sa.Column("evaluated_start", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["grid_id"], ["grids.id"], name=op.f("fk_communities_grid_id_grids")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_communities")),
    )
    op.create_index("ix_communities_grid_id_created_at", "communities", ["grid_id", "created_at"])
    with op.batch_alter_table("prosumers") as batch:
        batch.add_column(sa.Column("community_id", sa.String(length=36), nullable=True))
        batch.create_foreign_key(
            op.f("fk_prosumers_community_id_communities"),
            "communities",
            ["community_id"],
            ["id"],
        )
        batch.create_index("ix_prosumers_community_id", ["community_id"])
    op.create_index(
        "ix_prosumers_id_community_id",
        "prosumers",
        ["id", "community_id", "active", "created_at"],
    )
    op.create_index("ix_prosumers_grid_id_updated_at", "prosumers", ["grid_id", "updated_at"])
    op.create_table(
        "community_peaks",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("community_id", sa.String(length=36), nullable=False),
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("ended_at", sa.DateTime(), nullable=True),
        sa.Column("peak_w", sa.BigInteger(), nullable=False),
        sa.Column("peak_at", sa.DateTime(), nullable=False),
        sa.Column("threshold_w", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["community_id"],
            ["communities.id"],
            name=op.f("fk_community_peaks_community_id_communities"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_community_peaks")),
    )
    op.create_index(
        "ix_community_peaks_community_id_started_at",
        "community_peaks",
        ["community_id", "started_at"],
    )
    op.create_table(
        "device_commands",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("grid_id", sa.String(length=36), nullable=False),
        sa.Column("community_id", sa.String(length=36), nullable=False),
        sa.Column("prosumer_id", sa.String(length=36), nullable=False),
        sa.Column("asset_id", sa.String(length=36), nullable=False),
        sa.Column("peak_id", sa.String(length=36), nullable=False),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("power_w", sa.BigInteger(), nullable=False),
        sa.Column("timeframe", sa.DateTime(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_device_commands")),
        sa.UniqueConstraint("id", name=op.f("uq_device_commands_id")),
    )
    op.create_index("ix_device_commands_prosumer_id_seq", "device_commands", ["prosumer_id", "seq"])
    op.create_index(
        "ix_device_commands_grid_id_asset_id", "device_commands", ["grid_id", "asset_id"]
    )
    op.create_index("ix_device_commands_peak_id", "device_commands", ["peak_id"])
    op.create_index("ix_events_community_id_position", "events", ["community_id", "position"])


def downgrade() -> None:
    op.drop_index("ix_events_community_id_position", "events")
    op.drop_index("ix_device_commands_peak_id", "device_commands")
    op.drop_index("ix_device_commands_grid_id_asset_id", "device_commands")
    op.drop_index("ix_device_commands_prosumer_id_seq", "device_commands")
    op.drop_table("device_commands")
    op.drop_index("ix_community_peaks_community_id_started_at", "community_peaks")
    op.drop_table("community_peaks")
    op.drop_index("ix_prosumers_grid_id_updated_at", "prosumers")
    op.drop_index("ix_prosumers_id_community_id", "prosumers")
    with op.batch_alter_table("prosumers") as batch:
        batch.drop_index("ix_prosumers_community_id")
        batch.drop_constraint(op.f("fk_prosumers_community_id_communities"), type_="foreignkey")
        batch.drop_column("community_id")
    op.drop_index("ix_communities_grid_id_created_at", "communities")
    op.drop_table("communities")
