"""Trade records of clearing and the book that numbers them and tracks the grid's money."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, localcontext
from functools import cached_property
from itertools import starmap
from typing import Any

from models.domain.money import amount_minor, amounts_minor, exact_context

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


@dataclass
class TradeLines:
    """A timeframe's clearing lines as columns: line i is element i of every list."""

    sellers: list[str] = field(default_factory=list)
    buyers: list[str] = field(default_factory=list)
    energy: list[int] = field(default_factory=list)
    prices: list[Decimal] = field(default_factory=list)
    amounts: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    order_ids: list[str | None] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.kinds)

    def rows(self) -> Iterator[tuple[Any, ...]]:
        """(line, seller, buyer, energy_wh, unit_price, amount_minor, kind, order_id) per line."""
        columns = (self.sellers, self.buyers, self.energy, self.prices, self.amounts)
        return zip(range(len(self)), *columns, self.kinds, self.order_ids, strict=True)


@dataclass
class OrderFills:
    """Every order id given, in order, and the filled ones (in line order): Wh and trade line."""

    order_ids: list[str] = field(default_factory=list)
    filled: list[str] = field(default_factory=list)
    energy: list[int] = field(default_factory=list)
    line: list[int] = field(default_factory=list)

    def by_order(self) -> dict[str, tuple[int, list[int]]]:
        """Per order id: (filled Wh, [its trade line]), or (0, []) when unfilled."""
        energy = dict(zip(self.filled, self.energy, strict=True))
        line = dict(zip(self.filled, self.line, strict=True))
        return {
            oid: (energy[oid], [line[oid]]) if oid in energy else (0, []) for oid in self.order_ids
        }


@dataclass(frozen=True)
class ClearingResult:
    """The ordered trade lines of a timeframe, its orders' fills and the order price."""

    lines: TradeLines
    fills: OrderFills = field(default_factory=OrderFills)
    order_price: Decimal | None = None

    @cached_property
    def trades(self) -> list[Trade]:
        """The lines as Trade objects, built on first use."""
        return list(starmap(Trade, self.lines.rows()))

    @cached_property
    def order_fills(self) -> dict[str, tuple[int, list[int]]]:
        """Per order id: (filled Wh, trade lines), built on first use."""
        return self.fills.by_order()


class TradeBook:
    """Appends trades with consecutive line numbers and tracks the grid's money position."""

    def __init__(self, scale: int) -> None:
        self.scale = scale
        self.lines = TradeLines()
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
        if seller == GRID:
            self.grid_money += amount
        if buyer == GRID:
            self.grid_money -= amount
        return self._extend([seller], [buyer], [energy_wh], unit_price, kind, [amount], [order_id])

    def sell_to_grid(
        self,
        parties: list[str],
        energy: list[int],
        unit_price: Decimal,
        kind: str,
        amounts: list[int] | None = None,
        order_ids: list[str] | None = None,
    ) -> int:
        """Append one line per party selling energy[i] to the grid; the first line."""
        return self._with_grid(False, parties, energy, unit_price, kind, amounts, order_ids)

    def buy_from_grid(
        self,
        parties: list[str],
        energy: list[int],
        unit_price: Decimal,
        kind: str,
        amounts: list[int] | None = None,
        order_ids: list[str] | None = None,
    ) -> int:
        """Append one line per party buying energy[i] from the grid; the first line."""
        return self._with_grid(True, parties, energy, unit_price, kind, amounts, order_ids)

    def _with_grid(
        self,
        grid_sells: bool,
        parties: list[str],
        energy: list[int],
        unit_price: Decimal,
        kind: str,
        amounts: list[int] | None,
        order_ids: list[str] | None,
    ) -> int:
        """Lines between the grid and each party; the grid's money moves by their sum."""
        if amounts is None:
            amounts = amounts_minor(energy, unit_price, self.scale)
        total = sum(amounts)
        self.grid_money += total if grid_sells else -total
        grid = [GRID] * len(parties)
        sellers, buyers = (grid, parties) if grid_sells else (parties, grid)
        return self._extend(sellers, buyers, energy, unit_price, kind, amounts, order_ids)

    def _extend(
        self,
        sellers: list[str],
        buyers: list[str],
        energy: list[int],
        unit_price: Decimal,
        kind: str,
        amounts: list[int],
        order_ids: Sequence[str | None] | None,
    ) -> int:
        """Append equally long columns at one unit price and kind; the first new line."""
        lines = self.lines
        first = len(lines)
        size = len(energy)
        if not len(sellers) == len(buyers) == len(amounts) == size:
            raise ValueError("trade columns differ in length")
        lines.sellers += sellers
        lines.buyers += buyers
        lines.energy += energy
        lines.prices += [unit_price] * size
        lines.amounts += amounts
        lines.kinds += [kind] * size
        lines.order_ids += [None] * size if order_ids is None else order_ids
        return first

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


def _doc(grid_id: str, start_iso: str, currency: str, row: tuple[Any, ...]) -> dict[str, Any]:
    """The store document of one (line, seller, buyer, Wh, unit price text, amount, kind, order)."""
    line, seller, buyer, energy_wh, unit_price, amount, kind, order_id = row
    return {
        "_id": f"{grid_id}:{start_iso}:{line:06d}",
        "grid_id": grid_id,
        "timeframe_start": start_iso,
        "currency": currency,
        "line": line,
        "seller": seller,
        "buyer": buyer,
        "energy_wh": energy_wh,
        "unit_price": unit_price,
        "amount_minor": amount,
        "kind": kind,
        "order_id": order_id,
    }


def trade_doc(grid_id: str, start_iso: str, currency: str, trade: Trade) -> dict[str, Any]:
    """The transaction-store document of one trade (JSON types; unit_price as decimal text)."""
    t = trade
    price = format_decimal(t.unit_price)
    row = (t.line, t.seller, t.buyer, t.energy_wh, price, t.amount_minor, t.kind, t.order_id)
    return _doc(grid_id, start_iso, currency, row)


def trade_docs(
    grid_id: str, start_iso: str, currency: str, result: ClearingResult
) -> list[dict[str, Any]]:
    """The transaction-store documents of a clearing result, in line order (as `trade_doc`)."""
    lines = result.lines
    distinct = {id(price): price for price in lines.prices}
    text = {key: format_decimal(price) for key, price in distinct.items()}
    prices = [text[id(price)] for price in lines.prices]
    columns = (lines.sellers, lines.buyers, lines.energy, prices, lines.amounts, lines.kinds)
    rows = zip(range(len(lines)), *columns, lines.order_ids, strict=True)
    return [_doc(grid_id, start_iso, currency, row) for row in rows]
