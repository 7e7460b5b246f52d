"""Build a small settled-able grid: daily timeframes, a few prosumers, a closed month."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from models.domain.timeframes import month_bounds
from models.services import metering
from models.services import registry as reg
from models.services.closing import close_due

MONTH = "2026-10"
# (produced_wh, consumed_wh) per prosumer on each of the first days of the month.
PROFILES = [(5000, 1000), (0, 3000), (4000, 500), (200, 2500), (1000, 1000)]


@dataclass
class World:
    grid_id: str
    prosumers: list[str]
    wallets: list[str]


def build_grid(container: Any, wallets: list[str], wei_per_minor: int = 10**13) -> World:
    """A daily-timeframe grid in UTC with one prosumer per wallet."""
    data = {
        "name": "settle test",
        "timezone": "UTC",
        "timeframe_minutes": 1440,
        "currency": "EUR",
        "import_price": Decimal("0.30"),
        "feed_in_price": Decimal("0.10"),
        "wei_per_minor_unit": Decimal(wei_per_minor),
    }
    with container.uow() as uow:
        grid = reg.create_grid(uow, data)
    ids = []
    for n, account in enumerate(wallets):
        body = {"name": f"p{n}", "address": f"street {n}", "kind": "household", "wallet": account}
        with container.uow() as uow:
            ids.append(reg.create_prosumer(uow, reg.get_grid(uow, grid.id), body).id)
    return World(grid.id, ids, wallets)


def add_readings(container: Any, world: World, month: str = MONTH, days: int = 3) -> None:
    """Readings on the first `days` days, profile n for prosumer n (varied by day)."""
    start, _ = month_bounds(month, "UTC")
    for day in range(days):
        lines = []
        for n, pid in enumerate(world.prosumers):
            produced, consumed = PROFILES[n % len(PROFILES)]
            lines.append(
                {"prosumer_id": pid, "produced_wh": produced + 7 * day, "consumed_wh": consumed}
            )
        with container.uow() as uow:
            grid = reg.get_grid(uow, world.grid_id)
            metering.upsert_readings(uow, grid, start + timedelta(days=day), lines)


def close_month(
    container: Any, world: World, month: str = MONTH, upto_day: int | None = None
) -> None:
    """Close every timeframe of the month (or only those before day `upto_day`)."""
    start, end = month_bounds(month, "UTC")
    until = end if upto_day is None else start + timedelta(days=upto_day)
    close_due(container, world.grid_id, until)


def refusing_world(container: Any, accounts: list[Any]) -> tuple[World, str]:
    """The closed October world with prosumer 0's wallet a contract that refuses ether."""
    from tests.ledger.refuser import deploy_refuser

    refuser = deploy_refuser(container.chain)
    wallets = [refuser] + [a.address for a in accounts[1:]]  # prosumer 0 gets a credit
    world = build_grid(container, wallets)
    add_readings(container, world)
    close_month(container, world)
    return world, refuser
