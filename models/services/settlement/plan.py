"""A month's settlement plan: closed-timeframe check, statements, Merkle root, amounts in wei."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from models.domain.merkle import merkle_root
from models.domain.statements import (
    Statement,
    build_statements,
    grid_key,
    period_id,
    period_number,
    settlement_balance,
    statement_leaves,
)
from models.domain.timeframes import format_instant, month_bounds, timeframe_starts
from models.ports import GridRecord, Stores, UnitOfWork
from models.services.clock import aware_utc, naive_utc
from models.services.errors import Conflict, Unprocessable
from models.services.registry import get_grid

OPEN_LISTED = 20


@dataclass(frozen=True)
class Plan:
    """Everything a month's settlement writes, computed from closed timeframes."""

    grid_id: str
    month: str
    start: datetime
    end: datetime
    statements: list[Statement]
    root: bytes
    wei_per_minor: int
    corrections: tuple[str, ...] = ()  # the corrections whose adjustments the run settles
    adjustments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by prosumer

    @property
    def grid_key(self) -> bytes:
        return grid_key(self.grid_id)

    @property
    def period_number(self) -> int:
        return period_number(self.month)

    @property
    def period_id(self) -> bytes:
        return period_id(self.grid_key, self.period_number)

    def wei(self, st: Statement) -> int:
        """|amount_minor| in wei at the grid's rate."""
        return abs(st.amount_minor) * self.wei_per_minor


def wei_rate(value: Any) -> int:
    """The grid's wei_per_minor_unit (decimal text) as a positive int."""
    rate = Decimal(value)
    if rate != rate.to_integral_value() or rate <= 0:
        raise Unprocessable(f"wei_per_minor_unit must be a positive integer, got {value}")
    return int(rate)


def month_range(grid: GridRecord, month: str) -> tuple[datetime, datetime]:
    """The month's UTC bounds in the grid's zone; Unprocessable on a bad month."""
    try:
        return month_bounds(month, grid.timezone)
    except ValueError as exc:
        raise Unprocessable(str(exc), errors={"month": [str(exc)]}) from exc


def check_closed(
    uow: UnitOfWork, grid: GridRecord, start: datetime, end: datetime, month: str
) -> None:
    """Conflict listing the first open timeframes unless every one of the month is closed."""
    closed = set(
        uow.registry.timeframes_with_status(grid.id, "closed", naive_utc(start), naive_utc(end))
    )
    expected = list(timeframe_starts(start, end, grid.timeframe_minutes))
    missing = [s for s in expected if naive_utc(s) not in closed]
    if missing:
        listed = [format_instant(aware_utc(s)) for s in missing[:OPEN_LISTED]]
        raise Conflict(
            f"{len(missing)} of {len(expected)} timeframes of {month} are not closed "
            f"(first: {listed[0]})",
            open_timeframes=listed,
            open_count=len(missing),
        )


def plan_month(container: Stores, grid_id: str, month: str) -> Plan:
    """Check the month is closed and compute its statements and root (no writes)."""
    with container.uow(write=False) as uow:
        grid = get_grid(uow, grid_id)
        start, end = month_range(grid, month)
        check_closed(uow, grid, start, end, month)
        wallets = uow.registry.wallets(grid_id)
        rate = wei_rate(grid.wei_per_minor_unit)
    sums = container.documents.transactions.all_party_sums(
        grid_id, format_instant(start), format_instant(end)
    )
    statements = build_statements(grid_id, month, sums, wallets)
    imbalance = settlement_balance(statements, sums)
    if imbalance != 0:
        raise Conflict(f"the books of {month} do not balance: off by {imbalance} minor units")
    root = merkle_root(statement_leaves(statements))
    return Plan(grid_id, month, start, end, statements, root, rate)


def as_recorded(plan: Plan, run: dict[str, Any] | None, items: dict[int, dict[str, Any]]) -> Plan:
    """The plan with the rate and accounts a recorded run committed to (settings may change)."""
    if run is None:
        return plan
    statements = [
        replace(st, account=items[st.index]["account"])
        if st.index in items and items[st.index]["prosumer_id"] == st.prosumer_id
        else st
        for st in plan.statements
    ]
    root = plan.root
    if statements != plan.statements:
        root = merkle_root(statement_leaves(statements))
    return replace(plan, statements=statements, root=root, wei_per_minor=int(run["wei_per_minor"]))
