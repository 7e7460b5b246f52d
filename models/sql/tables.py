"""ORM tables of the relational registry; alembic migrations follow these."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class DecimalText(TypeDecorator[Decimal]):
    """An exact decimal stored as text: SQLite has no exact numeric type."""

    impl = String(40)
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        return None if value is None else str(Decimal(value))

    def process_result_value(self, value: Any, dialect: Any) -> Decimal | None:
        return None if value is None else Decimal(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamped:
    created_at: Mapped[datetime] = mapped_column(DateTime())
    updated_at: Mapped[datetime] = mapped_column(DateTime())


class Grid(Timestamped, Base):
    __tablename__ = "grids"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))
    timeframe_minutes: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3))
    import_price: Mapped[Decimal] = mapped_column(DecimalText())
    feed_in_price: Mapped[Decimal] = mapped_column(DecimalText())
    mechanism: Mapped[str] = mapped_column(String(20), default="mid_market")
    wei_per_minor_unit: Mapped[Decimal] = mapped_column(DecimalText())
    latitude: Mapped[Decimal | None] = mapped_column(DecimalText())
    longitude: Mapped[Decimal | None] = mapped_column(DecimalText())


class Prosumer(Timestamped, Base):
    __tablename__ = "prosumers"
    __table_args__ = (
        UniqueConstraint("grid_id", "wallet"),
        Index("ix_prosumers_grid_id_name_id", "grid_id", "name", "id"),
        Index("ix_prosumers_community_id", "community_id"),
        # covering the join of a timeframe's readings to their communities (SQLite is told to use
        # it), and the newest change of a grid's prosumers (what kept community sums depend on)
        Index("ix_prosumers_id_community_id", "id", "community_id", "active", "created_at"),
        Index("ix_prosumers_grid_id_updated_at", "grid_id", "updated_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"))
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(String(500))
    kind: Mapped[str] = mapped_column(String(20))
    wallet: Mapped[str] = mapped_column(String(42))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    members: Mapped[int | None] = mapped_column(Integer)  # consumers in a consumer_group
    community_id: Mapped[str | None] = mapped_column(ForeignKey("communities.id"))


class Asset(Timestamped, Base):
    """A prosumer's physical asset; its type's parameters are a JSON object (exact strings)."""

    __tablename__ = "assets"
    __table_args__ = (Index("ix_assets_prosumer_id_created_at", "prosumer_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    prosumer_id: Mapped[str] = mapped_column(ForeignKey("prosumers.id"))
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200))
    enabled: Mapped[bool] = mapped_column(Boolean)
    parameters: Mapped[dict[str, Any]] = mapped_column(JSON)


class ProsumerControls(Base):
    """A prosumer's battery controls; no row means the defaults."""

    __tablename__ = "prosumer_controls"
    prosumer_id: Mapped[str] = mapped_column(ForeignKey("prosumers.id"), primary_key=True)
    input_ratio: Mapped[Decimal] = mapped_column(DecimalText())
    output_ratio: Mapped[Decimal] = mapped_column(DecimalText())
    updated_at: Mapped[datetime] = mapped_column(DateTime())


class Plant(Base):
    """A grid's upstream power plant; no row means the defaults."""

    __tablename__ = "plants"
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"), primary_key=True)
    max_output_w: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(10))
    ratio: Mapped[Decimal] = mapped_column(DecimalText())
    buffer_capacity_wh: Mapped[int] = mapped_column(BigInteger)
    carbon_g_per_kwh: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime())


class Reading(Base):
    __tablename__ = "readings"
    __table_args__ = (Index("ix_readings_grid_id_start", "grid_id", "start"),)
    prosumer_id: Mapped[str] = mapped_column(ForeignKey("prosumers.id"), primary_key=True)
    start: Mapped[datetime] = mapped_column(DateTime(), primary_key=True)
    # no foreign key to grids (migration 0007): one trigger query per bulk-written row less;
    # metering checks that it is the prosumer's grid, whose own key ties it to the grid
    grid_id: Mapped[str] = mapped_column(String(36))
    produced_wh: Mapped[int] = mapped_column(BigInteger)
    consumed_wh: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(DateTime())


class Timeframe(Base):
    """A timeframe that is closing or closed; an open timeframe has no row."""

    __tablename__ = "timeframes"
    __table_args__ = (Index("ix_timeframes_grid_id_status_start", "grid_id", "status", "start"),)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"), primary_key=True)
    start: Mapped[datetime] = mapped_column(DateTime(), primary_key=True)
    status: Mapped[str] = mapped_column(String(10))
    snapshot_hash: Mapped[str | None] = mapped_column(String(64))
    trades_hash: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime())


class Order(Timestamped, Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("prosumer_id", "idempotency_key"),
        Index("ix_orders_grid_id_timeframe_start", "grid_id", "timeframe_start"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"))
    prosumer_id: Mapped[str] = mapped_column(ForeignKey("prosumers.id"))
    timeframe_start: Mapped[datetime] = mapped_column(DateTime())
    side: Mapped[str] = mapped_column(String(4))
    energy_wh: Mapped[int] = mapped_column(BigInteger)
    limit_price: Mapped[Decimal] = mapped_column(DecimalText())
    status: Mapped[str] = mapped_column(String(12))
    filled_wh: Mapped[int] = mapped_column(BigInteger, default=0)
    trade_ids: Mapped[list[str]] = mapped_column(JSON, default=list)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))


class Partner(Timestamped, Base):
    __tablename__ = "partners"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"))
    name: Mapped[str] = mapped_column(String(200))
    trust_level: Mapped[int] = mapped_column(Integer)
    datapoints: Mapped[int] = mapped_column(BigInteger)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(10))
    grid_id: Mapped[str | None] = mapped_column(ForeignKey("grids.id"))
    prosumer_id: Mapped[str | None] = mapped_column(ForeignKey("prosumers.id"))
    partner_id: Mapped[str | None] = mapped_column(ForeignKey("partners.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    expires_at: Mapped[datetime | None] = mapped_column(DateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime())


class Deployment(Base):
    """The settlement contract on a chain; the newest row per chain is current."""

    __tablename__ = "ledger_deployments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    address: Mapped[str] = mapped_column(String(42))
    deployed_at: Mapped[datetime] = mapped_column(DateTime())


class Event(Base):
    """A domain event in the log (the outbox of SQL changes); `position` orders the feed."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_grid_id_position", "grid_id", "position"),
        Index("ix_events_prosumer_id_position", "prosumer_id", "position"),
        Index("ix_events_community_id_position", "community_id", "position"),
    )
    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[str] = mapped_column(String(40))
    grid_id: Mapped[str] = mapped_column(String(36))
    prosumer_id: Mapped[str | None] = mapped_column(String(36))
    community_id: Mapped[str | None] = mapped_column(String(36))
    occurred_at: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class Webhook(Timestamped, Base):
    """A webhook subscription; `cursor` is the last event position fanned out to it."""

    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_grid_id_created_at", "grid_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str | None] = mapped_column(String(36))
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean)
    secret: Mapped[str] = mapped_column(String(100))
    cursor: Mapped[int] = mapped_column(BigInteger)


class Delivery(Timestamped, Base):
    """One event to one webhook: tried until a 2xx answer or 24 h, then failed."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("webhook_id", "event_position"),
        Index("ix_webhook_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    webhook_id: Mapped[str] = mapped_column(ForeignKey("webhooks.id"))
    event_position: Mapped[int] = mapped_column(BigInteger)
    event_id: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(12))
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime())
    lease_until: Mapped[datetime | None] = mapped_column(DateTime())
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(500))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime())


class Correction(Base):
    """A correction of a closed timeframe's readings: `applying` until its version and
    adjustments are stored, then `applied` (the readings below are the corrected lines)."""

    __tablename__ = "corrections"
    __table_args__ = (
        UniqueConstraint("grid_id", "idempotency_key", name="uq_corrections_grid_id_key"),
        UniqueConstraint(
            "grid_id", "timeframe_start", "version", name="uq_corrections_grid_id_version"
        ),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"))
    timeframe_start: Mapped[datetime] = mapped_column(DateTime())
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(String(1000))
    readings: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    idempotency_key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_by: Mapped[str] = mapped_column(String(36))
    created_role: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(DateTime())
    applied_at: Mapped[datetime | None] = mapped_column(DateTime())
    snapshot_hash: Mapped[str | None] = mapped_column(String(64))
    previous_hash: Mapped[str | None] = mapped_column(String(64))


# --- communities, peaks and device commands (migration 0005_comm) ------------------------------


class Community(Timestamped, Base):
    """Prosumers of one grid grouped for consumption, autarky and peaks.

    `autarkic`, `peak_id` and `evaluated_start` are the demand-response state (not part of the
    resource): the last autarky seen, the open peak, and the newest timeframe fully evaluated.
    """

    __tablename__ = "communities"
    __table_args__ = (Index("ix_communities_grid_id_created_at", "grid_id", "created_at"),)
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    grid_id: Mapped[str] = mapped_column(ForeignKey("grids.id"))
    name: Mapped[str] = mapped_column(String(200))
    peak_threshold_w: Mapped[int] = mapped_column(BigInteger)
    peak_hysteresis: Mapped[Decimal] = mapped_column(DecimalText())
    autarkic: Mapped[bool] = mapped_column(Boolean, default=False)
    peak_id: Mapped[str | None] = mapped_column(String(36))
    evaluated_start: Mapped[datetime | None] = mapped_column(DateTime())


class Peak(Timestamped, Base):
    """A community's consumption peak: [started_at, ended_at), timeframe starts (UTC)."""

    __tablename__ = "community_peaks"
    __table_args__ = (
        Index("ix_community_peaks_community_id_started_at", "community_id", "started_at"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    community_id: Mapped[str] = mapped_column(ForeignKey("communities.id"))
    grid_id: Mapped[str] = mapped_column(String(36))
    started_at: Mapped[datetime] = mapped_column(DateTime())
    ended_at: Mapped[datetime | None] = mapped_column(DateTime())
    peak_w: Mapped[int] = mapped_column(BigInteger)
    peak_at: Mapped[datetime] = mapped_column(DateTime())
    threshold_w: Mapped[int] = mapped_column(BigInteger)


class DeviceCommand(Base):
    """A pause or resume for one scheduled load; `seq` orders a device's commands (its cursor).

    No foreign keys: a device's command history outlives the community or the asset.
    """

    __tablename__ = "device_commands"
    __table_args__ = (
        Index("ix_device_commands_prosumer_id_seq", "prosumer_id", "seq"),
        Index("ix_device_commands_grid_id_asset_id", "grid_id", "asset_id"),
        Index("ix_device_commands_peak_id", "peak_id"),
    )
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True)
    grid_id: Mapped[str] = mapped_column(String(36))
    community_id: Mapped[str] = mapped_column(String(36))
    prosumer_id: Mapped[str] = mapped_column(String(36))
    asset_id: Mapped[str] = mapped_column(String(36))
    peak_id: Mapped[str] = mapped_column(String(36))
    action: Mapped[str] = mapped_column(String(10))
    power_w: Mapped[int] = mapped_column(BigInteger)
    timeframe: Mapped[datetime] = mapped_column(DateTime())
    issued_at: Mapped[datetime] = mapped_column(DateTime())


class PeakPending(Base):
    """A timeframe whose readings changed since its communities were last evaluated: written in
    the readings' transaction, removed by the evaluation task in the evaluation's (migration
    0006_peak_pending); `marked_at`: when first marked (the sweep finds lost tasks by it)."""

    __tablename__ = "peak_pending"
    grid_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    start: Mapped[datetime] = mapped_column(DateTime(), primary_key=True)
    marked_at: Mapped[datetime] = mapped_column(DateTime())
