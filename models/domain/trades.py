"""Trade records of clearing and the book that numbers them and tracks the grid's money."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from typing import Any

from models.domain.money import amount_minor, exact_context

GRID = "grid"
PLANT = "plant"
ROUNDING = "rounding"
RESERVED_PARTIES = frozenset({GRID, PLANT, ROUNDING})
KINDS = frozenset(
    {"local", "export", "import", "plant_export", "plant_import", "order", "share", "rounding"}
)


def _check_price(name: str, value: object) -> None:
    """Require a finite, non-negative Decimal."""
    if not isinstance(value, Decimal) or not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative Decimal, got {value!r}")


@dataclass(frozen=True, slots=True)
class Prices:
    """Upstream prices per kWh: import (buy from plant) and feed-in (sell to plant)."""

    import_price: Decimal
    feed_in_price: Decimal

    def __post_init__(self) -> None:
        _check_price("import_price", self.import_price)
        _check_price("feed_in_price", self.feed_in_price)
        if self.feed_in_price > self.import_price:
            raise ValueError("feed_in_price must not exceed import_price")

    @property
    def mid(self) -> Decimal:
        """The mid-market rate (p_imp + p_fit) / 2, exact."""
        with localcontext(exact_context()):
            return (self.import_price + self.feed_in_price) / 2


@dataclass(frozen=True, slots=True)
class Order:
    """A prosumer's limit order for one timeframe: buy at most / sell at least `limit_price`."""

    order_id: str
    prosumer_id: str
    side: str
    energy_wh: int
    limit_price: Decimal

    def __post_init__(self) -> None:
        if self.side not in ("buy", "sell"):
            raise ValueError(f"order side must be 'buy' or 'sell', got {self.side!r}")
        if type(self.energy_wh) is not int or self.energy_wh < 0:
            raise ValueError(f"order energy_wh must be a non-negative int: {self.energy_wh!r}")
        _check_price("limit_price", self.limit_price)


@dataclass(frozen=True, slots=True)
class Trade:
    """One clearing line: `buyer` pays `amount_minor` to `seller` for `energy_wh`."""

    line: int
    seller: str
    buyer: str
    energy_wh: int
    unit_price: Decimal
    amount_minor: int
    kind: str
    order_id: str | None = None


@dataclass(frozen=True)
class ClearingResult:
    """The ordered trades of a timeframe and, per order id, (filled Wh, trade lines)."""

    trades: list[Trade]
    order_fills: dict[str, tuple[int, list[int]]] = field(default_factory=dict)
    order_price: Decimal | None = None


class TradeBook:
    """Appends trades with consecutive line numbers and tracks the grid's money position."""

    def __init__(self, scale: int) -> None:
        self.scale = scale
        self.trades: list[Trade] = []
        self.grid_money = 0

    def add(
        self,
        seller: str,
        buyer: str,
        energy_wh: int,
        unit_price: Decimal,
        kind: str,
        order_id: str | None = None,
        amount: int | None = None,
    ) -> int:
        """Append one trade (amount = energy x price rounded half-even unless given); its line."""
        if amount is None:
            amount = amount_minor(energy_wh, unit_price, self.scale)
        line = len(self.trades)
        self.trades.append(
            Trade(line, seller, buyer, energy_wh, unit_price, amount, kind, order_id)
        )
        if seller == GRID:
            self.grid_money += amount
        if buyer == GRID:
            self.grid_money -= amount
        return line

    def close_rounding(self) -> None:
        """Book the grid's rounding residue against the rounding account (omitted when zero)."""
        residue = self.grid_money
        if residue > 0:
            self.add(ROUNDING, GRID, 0, Decimal(0), "rounding", amount=residue)
        elif residue < 0:
            self.add(GRID, ROUNDING, 0, Decimal(0), "rounding", amount=-residue)


def format_decimal(value: Decimal) -> str:
    """A plain decimal string (no exponent) of a Decimal."""
    return format(value, "f")


def trade_doc(grid_id: str, start_iso: str, currency: str, trade: Trade) -> dict[str, Any]:
    """The transaction-store document of one trade (JSON types; unit_price as decimal text)."""
    return {
        "_id": f"{grid_id}:{start_iso}:{trade.line:06d}",
        "grid_id": grid_id,
        "timeframe_start": start_iso,
        "currency": currency,
        "line": trade.line,
        "seller": trade.seller,
        "buyer": trade.buyer,
        "energy_wh": trade.energy_wh,
        "unit_price": format_decimal(trade.unit_price),
        "amount_minor": trade.amount_minor,
        "kind": trade.kind,
        "order_id": trade.order_id,
    }


def trade_docs(grid_id: str, start_iso: str, currency: str, result: Any) -> list[dict[str, Any]]:
    """The transaction-store documents of a clearing result's trades, in line order."""
    return [trade_doc(grid_id, start_iso, currency, t) for t in result.trades]
