"""The registry repository: grids, prosumers, readings, timeframes, orders, keys."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Result, Select, delete, func, select, update
from sqlalchemy.orm import Session

from models.ports import ReadingLine, Registry
from models.sql import readings_upsert
from models.sql.tables import (
    ApiKey,
    Asset,
    Community,
    Correction,
    Delivery,
    Deployment,
    Grid,
    Order,
    Partner,
    Peak,
    Plant,
    Prosumer,
    ProsumerControls,
    Reading,
    Timeframe,
    Webhook,
)

T = TypeVar("T")
R = TypeVar("R")


class SqlRegistry:
    """Queries in domain words over one session."""

    def __init__(self, session: Session) -> None:
        self.session = session

    # generic
    def add(self, obj: object) -> None:
        self.session.add(obj)
        self.session.flush()

    def _added(self, row: R) -> R:
        self.add(row)
        return row

    def delete(self, obj: object) -> None:
        self.session.delete(obj)
        self.session.flush()

    def _page(self, stmt: Select[T], page: int, size: int) -> tuple[list[T], int]:
        total = self.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        rows = self.session.scalars(stmt.limit(size).offset((page - 1) * size)).all()
        return list(rows), total

    # grids
    def add_grid(self, **fields: Any) -> Grid:
        return self._added(Grid(**fields))

    def grid(self, grid_id: str) -> Grid | None:
        return self.session.get(Grid, grid_id)

    def grids(
        self, page: int, size: int, ids: Sequence[str] | None = None
    ) -> tuple[list[Grid], int]:
        stmt = select(Grid).order_by(Grid.created_at, Grid.id)
        if ids is not None:
            stmt = stmt.where(Grid.id.in_(ids))
        return self._page(stmt, page, size)

    def lock_grid(self, grid_id: str) -> Grid | None:
        """The grid row, locked until commit: serializes a grid's reading writes and closes."""
        return self.session.scalar(select(Grid).where(Grid.id == grid_id).with_for_update())

    def grid_has_dependents(self, grid_id: str) -> bool:
        """True while the grid has prosumers or closed (or closing) timeframes."""
        prosumer = select(Prosumer.id).where(Prosumer.grid_id == grid_id).limit(1)
        timeframe = select(Timeframe.start).where(Timeframe.grid_id == grid_id).limit(1)
        return any(self.session.scalar(stmt) is not None for stmt in (prosumer, timeframe))

    def delete_partners_and_keys(self, grid_id: str) -> None:
        """Remove a grid's keys (operator and partner) and its partners."""
        self.session.execute(delete(ApiKey).where(ApiKey.grid_id == grid_id))
        partners = select(Partner.id).where(Partner.grid_id == grid_id)
        self.session.execute(delete(ApiKey).where(ApiKey.partner_id.in_(partners)))
        self.session.execute(delete(Partner).where(Partner.grid_id == grid_id))

    def purge_grid(self, grid_id: str) -> None:
        """Delete the grid and every row that hangs on it (its events and device commands stay:
        the feed's and the devices' positions never go back)."""
        prosumers = select(Prosumer.id).where(Prosumer.grid_id == grid_id)
        partners = select(Partner.id).where(Partner.grid_id == grid_id)
        hooks = select(Webhook.id).where(Webhook.grid_id == grid_id)
        for stmt in (
            delete(Delivery).where(Delivery.webhook_id.in_(hooks)),
            delete(Webhook).where(Webhook.grid_id == grid_id),
            delete(ApiKey).where(
                (ApiKey.grid_id == grid_id)
                | ApiKey.prosumer_id.in_(prosumers)
                | ApiKey.partner_id.in_(partners)
            ),
            delete(Partner).where(Partner.grid_id == grid_id),
            delete(Correction).where(Correction.grid_id == grid_id),
            delete(Order).where(Order.grid_id == grid_id),
            delete(Reading).where(Reading.grid_id == grid_id),
            delete(Timeframe).where(Timeframe.grid_id == grid_id),
            delete(Asset).where(Asset.prosumer_id.in_(prosumers)),
            delete(ProsumerControls).where(ProsumerControls.prosumer_id.in_(prosumers)),
            delete(Plant).where(Plant.grid_id == grid_id),
            delete(Prosumer).where(Prosumer.grid_id == grid_id),
            delete(Peak).where(Peak.grid_id == grid_id),
            delete(Community).where(Community.grid_id == grid_id),
            delete(Grid).where(Grid.id == grid_id),
        ):
            self.session.execute(stmt)
        self.session.expunge_all()

    # prosumers
    def add_prosumer(self, **fields: Any) -> Prosumer:
        return self._added(Prosumer(**fields))

    def prosumer(self, prosumer_id: str) -> Prosumer | None:
        return self.session.get(Prosumer, prosumer_id)

    def prosumer_ids(self, grid_id: str) -> list[str]:
        stmt = select(Prosumer.id).where(Prosumer.grid_id == grid_id).order_by(Prosumer.id)
        return list(self.session.scalars(stmt))

    def prosumer_grids(self, ids: Sequence[str]) -> dict[str, tuple[str, bool]]:
        """(grid_id, active) of each existing prosumer among `ids`."""
        found: dict[str, tuple[str, bool]] = {}
        for chunk in range(0, len(ids), 5000):
            stmt = select(Prosumer.id, Prosumer.grid_id, Prosumer.active).where(
                Prosumer.id.in_(ids[chunk : chunk + 5000])
            )
            found.update({pid: (gid, active) for pid, gid, active in self.session.execute(stmt)})
        return found

    def members_at(self, grid_id: str, before: datetime) -> list[str]:
        """Active prosumers registered before `before`: who a snapshot lists."""
        stmt = select(Prosumer.id).where(
            Prosumer.grid_id == grid_id, Prosumer.active.is_(True), Prosumer.created_at < before
        )
        return list(self.session.scalars(stmt))

    def wallets(self, grid_id: str) -> dict[str, str]:
        stmt = select(Prosumer.id, Prosumer.wallet).where(Prosumer.grid_id == grid_id)
        return {pid: wallet for pid, wallet in self.session.execute(stmt)}

    def wallet_owner(self, grid_id: str, wallet: str) -> str | None:
        stmt = select(Prosumer.id).where(Prosumer.grid_id == grid_id, Prosumer.wallet == wallet)
        return self.session.scalar(stmt)

    def count_prosumer_history(self, prosumer_id: str) -> int:
        readings = select(func.count()).where(Reading.prosumer_id == prosumer_id)
        orders = select(func.count()).where(Order.prosumer_id == prosumer_id)
        return (self.session.scalar(readings) or 0) + (self.session.scalar(orders) or 0)

    # assets, controls, plant
    def add_asset(self, **fields: Any) -> Asset:
        return self._added(Asset(**fields))

    def asset(self, asset_id: str) -> Asset | None:
        return self.session.get(Asset, asset_id)

    def assets(self, prosumer_id: str, page: int, size: int) -> tuple[list[Asset], int]:
        stmt = select(Asset).where(Asset.prosumer_id == prosumer_id)
        return self._page(stmt.order_by(Asset.created_at, Asset.id), page, size)

    def controls(self, prosumer_id: str) -> ProsumerControls | None:
        return self.session.get(ProsumerControls, prosumer_id)

    def add_controls(self, **fields: Any) -> ProsumerControls:
        return self._added(ProsumerControls(**fields))

    def delete_assets_and_controls(self, prosumer_id: str) -> None:
        self.session.execute(delete(Asset).where(Asset.prosumer_id == prosumer_id))
        self.session.execute(
            delete(ProsumerControls).where(ProsumerControls.prosumer_id == prosumer_id)
        )

    def plant(self, grid_id: str) -> Plant | None:
        return self.session.get(Plant, grid_id)

    def add_plant(self, **fields: Any) -> Plant:
        return self._added(Plant(**fields))

    def delete_plant(self, grid_id: str) -> None:
        self.session.execute(delete(Plant).where(Plant.grid_id == grid_id))

    # what a simulation reads
    def active_prosumers(self, grid_id: str) -> list[Prosumer]:
        stmt = select(Prosumer).where(Prosumer.grid_id == grid_id, Prosumer.active.is_(True))
        return list(self.session.scalars(stmt.order_by(Prosumer.created_at, Prosumer.id)))

    def grid_assets(self, grid_id: str) -> list[Asset]:
        stmt = (
            select(Asset)
            .join(Prosumer, Prosumer.id == Asset.prosumer_id)
            .where(Prosumer.grid_id == grid_id, Prosumer.active.is_(True))
        )
        return list(
            self.session.scalars(stmt.order_by(Asset.prosumer_id, Asset.created_at, Asset.id))
        )

    def grid_controls(self, grid_id: str) -> dict[str, ProsumerControls]:
        stmt = (
            select(ProsumerControls)
            .join(Prosumer, Prosumer.id == ProsumerControls.prosumer_id)
            .where(Prosumer.grid_id == grid_id)
        )
        return {c.prosumer_id: c for c in self.session.scalars(stmt)}

    # readings
    def readings_at(self, grid_id: str, start: datetime) -> dict[str, tuple[int, int]]:
        stmt = select(Reading.prosumer_id, Reading.produced_wh, Reading.consumed_wh).where(
            Reading.grid_id == grid_id, Reading.start == start
        )
        return {pid: (p, c) for pid, p, c in self.session.execute(stmt)}

    def readings_between(
        self, grid_id: str, start_from: datetime, start_to: datetime
    ) -> dict[datetime, dict[str, tuple[int, int]]]:
        """`readings_at` of each timeframe in [start_from, start_to) with readings (one query)."""
        stmt = select(
            Reading.start, Reading.prosumer_id, Reading.produced_wh, Reading.consumed_wh
        ).where(Reading.grid_id == grid_id, Reading.start >= start_from, Reading.start < start_to)
        out: dict[datetime, dict[str, tuple[int, int]]] = {}
        for at, pid, p, c in self.session.execute(stmt):
            out.setdefault(at, {})[pid] = (p, c)
        return out

    def count_readings(self, grid_id: str, start: datetime) -> int:
        stmt = select(func.count()).where(Reading.grid_id == grid_id, Reading.start == start)
        return self.session.scalar(stmt) or 0

    def upsert_readings(
        self, grid_id: str, updated_at: datetime, frames: Mapping[datetime, Sequence[ReadingLine]]
    ) -> tuple[int, int]:
        """Insert missing, update changed, leave equal readings; (inserted, updated)."""
        return readings_upsert.upsert_readings(
            self.session.connection(), grid_id, updated_at, frames
        )

    def readings(
        self, prosumer_id: str, start_from: datetime, start_to: datetime, page: int, size: int
    ) -> tuple[list[Reading], int]:
        stmt = (
            select(Reading)
            .where(
                Reading.prosumer_id == prosumer_id,
                Reading.start >= start_from,
                Reading.start < start_to,
            )
            .order_by(Reading.start)
        )
        return self._page(stmt, page, size)

    # timeframes
    def begin_closing(self, grid_id: str, start: datetime) -> Timeframe:
        return self._added(Timeframe(grid_id=grid_id, start=start, status="closing"))

    def begin_closing_many(self, grid_id: str, starts: Sequence[datetime]) -> None:
        rows = [Timeframe(grid_id=grid_id, start=at, status="closing") for at in starts]
        self.session.add_all(rows)
        self.session.flush()

    def timeframes_between(
        self, grid_id: str, start_from: datetime, start_to: datetime
    ) -> list[Timeframe]:
        stmt = select(Timeframe).where(
            Timeframe.grid_id == grid_id, Timeframe.start >= start_from, Timeframe.start < start_to
        )
        return list(self.session.scalars(stmt.order_by(Timeframe.start)))

    def timeframe(self, grid_id: str, start: datetime) -> Timeframe | None:
        return self.session.get(Timeframe, (grid_id, start))

    def timeframes_with_status(
        self, grid_id: str, status: str, start_from: datetime, start_to: datetime
    ) -> list[datetime]:
        stmt = (
            select(Timeframe.start)
            .where(
                Timeframe.grid_id == grid_id,
                Timeframe.status == status,
                Timeframe.start >= start_from,
                Timeframe.start < start_to,
            )
            .order_by(Timeframe.start)
        )
        return list(self.session.scalars(stmt))

    def last_closed(self, grid_id: str) -> datetime | None:
        stmt = select(func.max(Timeframe.start)).where(Timeframe.grid_id == grid_id)
        return self.session.scalar(stmt)

    def first_reading(self, grid_id: str) -> datetime | None:
        return self.session.scalar(
            select(func.min(Reading.start)).where(Reading.grid_id == grid_id)
        )

    # orders
    def add_order(self, **fields: Any) -> Order:
        return self._added(Order(**fields))

    def order(self, order_id: str) -> Order | None:
        return self.session.get(Order, order_id)

    def order_by_key(self, prosumer_id: str, key: str) -> Order | None:
        stmt = select(Order).where(Order.prosumer_id == prosumer_id, Order.idempotency_key == key)
        return self.session.scalar(stmt)

    def orders_at(self, grid_id: str, start: datetime, status: str | None = None) -> list[Order]:
        stmt = select(Order).where(Order.grid_id == grid_id, Order.timeframe_start == start)
        if status:
            stmt = stmt.where(Order.status == status)
        return list(self.session.scalars(stmt.order_by(Order.created_at, Order.id)))

    def orders_between(
        self, grid_id: str, start_from: datetime, start_to: datetime, status: str
    ) -> list[Order]:
        stmt = select(Order).where(
            Order.grid_id == grid_id,
            Order.timeframe_start >= start_from,
            Order.timeframe_start < start_to,
            Order.status == status,
        )
        return list(self.session.scalars(stmt.order_by(Order.created_at, Order.id)))

    def orders(self, prosumer_id: str, page: int, size: int) -> tuple[list[Order], int]:
        stmt = select(Order).where(Order.prosumer_id == prosumer_id)
        return self._page(stmt.order_by(Order.timeframe_start.desc(), Order.id), page, size)

    # keys and partners
    def add_key(self, **fields: Any) -> ApiKey:
        return self._added(ApiKey(**fields))

    def add_partner(self, **fields: Any) -> Partner:
        return self._added(Partner(**fields))

    def key(self, key_id: str) -> ApiKey | None:
        return self.session.get(ApiKey, key_id)

    def keys(self, grid_id: str | None, page: int, size: int) -> tuple[list[ApiKey], int]:
        stmt = select(ApiKey)
        if grid_id is not None:
            stmt = stmt.where(ApiKey.grid_id == grid_id)
        return self._page(stmt.order_by(ApiKey.created_at, ApiKey.id), page, size)

    def touch_key(self, key_id: str, now: datetime) -> None:
        self.session.execute(update(ApiKey).where(ApiKey.id == key_id).values(last_used_at=now))

    def partner(self, partner_id: str) -> Partner | None:
        return self.session.get(Partner, partner_id)

    def partners(self, grid_id: str, page: int, size: int) -> tuple[list[Partner], int]:
        stmt = select(Partner).where(Partner.grid_id == grid_id)
        return self._page(stmt.order_by(Partner.created_at, Partner.id), page, size)

    def debit_datapoints(self, partner_id: str, cost: int) -> bool:
        """Atomically take `cost` datapoints; False when the balance is too low."""
        stmt = (
            update(Partner)
            .where(Partner.id == partner_id, Partner.datapoints >= cost)
            .values(datapoints=Partner.datapoints - cost)
        )
        return _rowcount(self.session.execute(stmt)) == 1

    def credit_datapoints(self, partner_id: str, amount: int, maximum: int, now: datetime) -> bool:
        """Atomically add `amount` datapoints; False when the balance would exceed `maximum`."""
        stmt = (
            update(Partner)
            .where(Partner.id == partner_id, Partner.datapoints <= maximum - amount)
            .values(datapoints=Partner.datapoints + amount, updated_at=now)
        )
        return _rowcount(self.session.execute(stmt)) == 1

    def delete_keys_of(
        self, *, prosumer_id: str | None = None, partner_id: str | None = None
    ) -> None:
        if prosumer_id:
            self.session.execute(delete(ApiKey).where(ApiKey.prosumer_id == prosumer_id))
        if partner_id:
            self.session.execute(delete(ApiKey).where(ApiKey.partner_id == partner_id))

    # ledger
    def add_deployment(self, chain_id: int, address: str, deployed_at: datetime) -> None:
        self.add(Deployment(chain_id=chain_id, address=address, deployed_at=deployed_at))

    def deployment(self, chain_id: int) -> Deployment | None:
        stmt = (
            select(Deployment)
            .where(Deployment.chain_id == chain_id)
            .order_by(Deployment.id.desc())
            .limit(1)
        )
        return self.session.scalar(stmt)


def _rowcount(result: Result[Any]) -> int:
    """Rows an UPDATE matched."""
    return cast(CursorResult[Any], result).rowcount


def _implements(registry: SqlRegistry) -> Registry:
    return registry  # mypy checks the adapter against its port
