"""The clearing as it was before integer arithmetic: the oracle the fast clearing must equal.

A verbatim copy of models/domain/ money, allocation, trades, mid_market, bill_sharing, auction and
clearing.py at commit c521d0d (Decimal amounts per line, one Trade object per line), trimmed to
what clearing uses. It takes the domain's Order and Prices as input; the service never imports it.
tests/domain/test_clearing_reference.py compares its output with models.domain.clearing.
The "supply_demand" mechanism was added later in the same style (marked "supply_demand"): its
local price p_t is kept as an exact Decimal numerator over the integer S + D.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact, localcontext
from typing import Any

from models.domain.trades import Order, Prices

# ---- models/domain/money.py ------------------------------------------------------------


WH_PER_KWH = 1000
_PRECISION = 200


def exact_context() -> Context:
    """A decimal context precise enough that energy x price products never round."""
    return Context(prec=_PRECISION, rounding=ROUND_HALF_EVEN, Emax=999_999, Emin=-999_999)


def exact_amount(energy_wh: int, price_per_kwh: Decimal, scale: int) -> Decimal:
    """energy_wh * price / 1000 * 10**scale in minor units, computed without rounding."""
    if not isinstance(price_per_kwh, Decimal):
        raise TypeError(f"price must be a Decimal, got {type(price_per_kwh).__name__}")
    if not price_per_kwh.is_finite():
        raise ValueError(f"price must be finite, got {price_per_kwh}")
    with localcontext(exact_context()) as ctx:
        product = Decimal(energy_wh) * price_per_kwh * (Decimal(10) ** scale)
        result = product / Decimal(WH_PER_KWH)
        if ctx.flags[Inexact]:
            raise ArithmeticError("amount could not be computed exactly")
        return result


def round_half_even(x: Decimal) -> int:
    """Round a Decimal to the nearest integer, ties to even."""
    with localcontext(exact_context()):
        return int(x.to_integral_value(rounding=ROUND_HALF_EVEN))


def amount_minor(energy_wh: int, price_per_kwh: Decimal, scale: int) -> int:
    """The exact amount rounded once, half-even, to the minor unit."""
    return round_half_even(exact_amount(energy_wh, price_per_kwh, scale))


def round_ratio(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded half-even to an integer, in exact integer arithmetic."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient, rest = divmod(numerator, denominator)
    twice = 2 * rest
    if twice > denominator or (twice == denominator and quotient % 2):
        quotient += 1
    return quotient


def scaled_ratio(numerator: int, denominator: int, places: int) -> Decimal:
    """numerator / denominator as a Decimal rounded half-even to `places` decimal places."""
    return Decimal(round_ratio(numerator * 10**places, denominator)).scaleb(-places)


# ---- models/domain/allocation.py ------------------------------------------------------------


def largest_remainder(weights: Sequence[tuple[str, int]], total: int) -> dict[str, int]:
    """Split `total` in proportion to non-negative integer weights; shares sum exactly to `total`.

    Each key gets floor(w * total / W); the units left over go one each to the largest
    remainders, ties broken by key ascending. Requires total <= W unless total == 0.
    """
    weight_sum = sum(w for _, w in weights)
    if total < 0 or any(w < 0 for _, w in weights):
        raise ValueError("weights and total must be non-negative")
    if weight_sum == 0:
        if total:
            raise ValueError("cannot split a positive total over zero weights")
        return {key: 0 for key, _ in weights}
    shares: dict[str, int] = {}
    remainders: list[tuple[int, str]] = []
    for key, weight in weights:
        share, rest = divmod(weight * total, weight_sum)
        shares[key] = share
        if rest:
            remainders.append((-rest, key))
    left = total - sum(shares.values())
    if left:
        remainders.sort()
        for _, key in remainders[:left]:
            shares[key] += 1
    return shares


# ---- models/domain/trades.py ------------------------------------------------------------


GRID = "grid"
PLANT = "plant"
ROUNDING = "rounding"
RESERVED_PARTIES = frozenset({GRID, PLANT, ROUNDING})


def _mid(prices: Prices) -> Decimal:
    """The mid-market rate (p_imp + p_fit) / 2, exact."""
    with localcontext(exact_context()):
        return (prices.import_price + prices.feed_in_price) / 2


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


# ---- models/domain/mid_market.py ------------------------------------------------------------


def sides(nets: Mapping[str, int]) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    """(sellers with surplus, buyers with deficit) as (prosumer_id, Wh > 0), sorted by id."""
    sellers: list[tuple[str, int]] = []
    buyers: list[tuple[str, int]] = []
    for pid in sorted(nets):
        net = nets[pid]
        if net > 0:
            sellers.append((pid, net))
        elif net < 0:
            buyers.append((pid, -net))
    return sellers, buyers


def clear_mid_market(
    book: TradeBook, nets: Mapping[str, int], prices: Prices, local: LocalPrice | None = None
) -> None:
    """Append the mid-market trades of `nets` to `book` (supply_demand: local lines at p_t)."""
    sellers, buyers = sides(nets)
    supply = sum(w for _, w in sellers)
    demand = sum(w for _, w in buyers)
    volume = min(supply, demand)
    p_mid = _mid(prices)
    sold = largest_remainder(sellers, volume)
    bought = largest_remainder(buyers, volume)
    for pid, _ in sellers:
        if sold[pid]:
            if local is None:
                book.add(pid, GRID, sold[pid], p_mid, "local")
            else:
                book.add(pid, GRID, sold[pid], local.shown, "local", amount=local.amount(sold[pid]))
    for pid, _ in buyers:
        if bought[pid]:
            if local is None:
                book.add(GRID, pid, bought[pid], p_mid, "local")
            else:
                book.add(
                    GRID, pid, bought[pid], local.shown, "local", amount=local.amount(bought[pid])
                )
    if supply > demand:
        for pid, surplus in sellers:
            if surplus > sold[pid]:
                book.add(pid, GRID, surplus - sold[pid], prices.feed_in_price, "export")
        book.add(GRID, PLANT, supply - demand, prices.feed_in_price, "plant_export")
    elif demand > supply:
        book.add(PLANT, GRID, demand - supply, prices.import_price, "plant_import")
        for pid, deficit in buyers:
            if deficit > bought[pid]:
                book.add(GRID, pid, deficit - bought[pid], prices.import_price, "import")


# ---- supply_demand ------------------------------------------------------------


@dataclass(frozen=True)
class LocalPrice:
    """p_t = weighted / total: `weighted` = p_fit * S + p_imp * D (exact), `total` = S + D."""

    weighted: Decimal
    total: int
    scale: int

    @property
    def shown(self) -> Decimal:
        """p_t rounded half-even to 12 places."""
        num, den = self.weighted.as_integer_ratio()
        return scaled_ratio(num, den * self.total, PRICE_PLACES)

    def amount(self, energy_wh: int) -> int:
        """energy_wh * p_t / 1000 * 10**scale rounded once half-even."""
        num, den = exact_amount(energy_wh, self.weighted, self.scale).as_integer_ratio()
        return round_ratio(num, den * self.total)

    def accepts_buy(self, limit: Decimal) -> bool:
        """limit >= p_t, exactly."""
        with localcontext(exact_context()):
            return limit * self.total >= self.weighted

    def accepts_sell(self, limit: Decimal) -> bool:
        """limit <= p_t, exactly."""
        with localcontext(exact_context()):
            return limit * self.total <= self.weighted


def local_price(nets: Mapping[str, int], prices: Prices, scale: int) -> LocalPrice:
    """The timeframe's p_t from all its nets (p_mid when nobody has a surplus or deficit)."""
    supply = sum(n for n in nets.values() if n > 0)
    demand = sum(-n for n in nets.values() if n < 0)
    if supply == 0 and demand == 0:
        supply = demand = 1
    with localcontext(exact_context()):
        weighted = prices.feed_in_price * supply + prices.import_price * demand
    return LocalPrice(weighted, supply + demand, scale)


# ---- models/domain/bill_sharing.py ------------------------------------------------------------


PRICE_PLACES = 12
_ZERO = Decimal(0)


def _share(
    book: TradeBook,
    parties: list[tuple[str, int]],
    bill: tuple[Decimal, int, int],
    paying: bool,
) -> None:
    """Book share lines for one side; `bill` is (price, energy_wh billed, side's total Wh)."""
    price, billed_wh, side_total = bill
    num, den = exact_amount(billed_wh, price, book.scale).as_integer_ratio()
    p_num, p_den = price.as_integer_ratio()
    unit = scaled_ratio(p_num * billed_wh, p_den * side_total, PRICE_PLACES) if billed_wh else _ZERO
    for pid, energy in parties:
        amount = round_ratio(num * energy, den * side_total) if billed_wh else 0
        if paying:
            book.add(GRID, pid, energy, unit, "share", amount=amount)
        else:
            book.add(pid, GRID, energy, unit, "share", amount=amount)


def clear_bill_sharing(book: TradeBook, nets: Mapping[str, int], prices: Prices) -> None:
    """Append the bill-sharing trades of `nets` to `book`."""
    sellers, buyers = sides(nets)
    supply = sum(w for _, w in sellers)
    demand = sum(w for _, w in buyers)
    imported = max(demand - supply, 0)
    exported = max(supply - demand, 0)
    _share(book, sellers, (prices.feed_in_price, exported, supply), paying=False)
    _share(book, buyers, (prices.import_price, imported, demand), paying=True)
    if exported:
        book.add(GRID, PLANT, exported, prices.feed_in_price, "plant_export")
    if imported:
        book.add(PLANT, GRID, imported, prices.import_price, "plant_import")


# ---- models/domain/auction.py ------------------------------------------------------------


@dataclass(frozen=True)
class Match:
    """Matched fills (order id -> Wh) per side, the price, and the nets left after them."""

    buys: list[tuple[Order, int]]
    sells: list[tuple[Order, int]]
    price: Decimal | None
    rest: dict[str, int]


def _book(orders: Sequence[Order], nets: Mapping[str, int], side: str) -> list[tuple[Order, int]]:
    """The side's orders in priority order with their bounded capacity (zero-capacity dropped)."""
    sign = -1 if side == "buy" else 1
    by_id = sorted((o for o in orders if o.side == side), key=lambda o: o.order_id)
    ranked = sorted(by_id, key=lambda o: o.limit_price, reverse=side == "buy")
    room = {pid: max(sign * net, 0) for pid, net in nets.items()}
    booked: list[tuple[Order, int]] = []
    for order in ranked:
        cap = min(order.energy_wh, room.get(order.prosumer_id, 0))
        if cap > 0:
            room[order.prosumer_id] -= cap
            booked.append((order, cap))
    return booked


def _fill(book: list[tuple[Order, int]], quantity: int) -> list[tuple[Order, int]]:
    """Fill `quantity` Wh down the book in priority order."""
    fills: list[tuple[Order, int]] = []
    for order, cap in book:
        if quantity <= 0:
            break
        take = min(cap, quantity)
        fills.append((order, take))
        quantity -= take
    return fills


def _walk(
    buys: list[tuple[Order, int]], sells: list[tuple[Order, int]]
) -> tuple[int, Decimal | None]:
    """Matched quantity and the midpoint of the last matched pair's limits."""
    i = j = total = 0
    last: Decimal | None = None
    rb = buys[0][1] if buys else 0
    rs = sells[0][1] if sells else 0
    while i < len(buys) and j < len(sells) and buys[i][0].limit_price >= sells[j][0].limit_price:
        q = min(rb, rs)
        total += q
        with localcontext(exact_context()):
            last = (buys[i][0].limit_price + sells[j][0].limit_price) / 2
        rb, rs = rb - q, rs - q
        if rb == 0:
            i += 1
            rb = buys[i][1] if i < len(buys) else 0
        if rs == 0:
            j += 1
            rs = sells[j][1] if j < len(sells) else 0
    return total, last


def _result(
    nets: Mapping[str, int],
    buys: list[tuple[Order, int]],
    sells: list[tuple[Order, int]],
    price: Decimal | None,
) -> Match:
    """Package fills with the nets left after them."""
    rest = dict(nets)
    for order, wh in buys:
        rest[order.prosumer_id] += wh
    for order, wh in sells:
        rest[order.prosumer_id] -= wh
    return Match(buys, sells, price, rest)


def match_auction(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Uniform-price double auction of `orders` bounded by `nets`."""
    buys, sells = _book(orders, nets, "buy"), _book(orders, nets, "sell")
    quantity, mid = _walk(buys, sells)
    if mid is None:
        return _result(nets, [], [], None)
    price = min(max(mid, prices.feed_in_price), prices.import_price)
    return _result(nets, _fill(buys, quantity), _fill(sells, quantity), price)


def match_at_local(nets: Mapping[str, int], local: LocalPrice, orders: Sequence[Order]) -> Match:
    """supply_demand: match orders acceptable at p_t, in priority order, at p_t."""
    buys = [(o, c) for o, c in _book(orders, nets, "buy") if local.accepts_buy(o.limit_price)]
    sells = [(o, c) for o, c in _book(orders, nets, "sell") if local.accepts_sell(o.limit_price)]
    quantity = min(sum(c for _, c in buys), sum(c for _, c in sells))
    if quantity == 0:
        return _result(nets, [], [], None)
    return _result(nets, _fill(buys, quantity), _fill(sells, quantity), local.shown)


def match_at_mid(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Match orders acceptable at p_mid, in priority order, at p_mid."""
    p_mid = _mid(prices)
    buys = [(o, c) for o, c in _book(orders, nets, "buy") if o.limit_price >= p_mid]
    sells = [(o, c) for o, c in _book(orders, nets, "sell") if o.limit_price <= p_mid]
    quantity = min(sum(c for _, c in buys), sum(c for _, c in sells))
    if quantity == 0:
        return _result(nets, [], [], None)
    return _result(nets, _fill(buys, quantity), _fill(sells, quantity), p_mid)


def book_match(
    book: TradeBook, match: Match, local: LocalPrice | None = None
) -> dict[str, tuple[int, list[int]]]:
    """Append the matched order trades (sells, then buys); fills per order id."""
    fills: dict[str, tuple[int, list[int]]] = {}
    if match.price is None:
        return fills
    for order, wh in match.sells:
        amount = local.amount(wh) if local else None
        line = book.add(order.prosumer_id, GRID, wh, match.price, "order", order.order_id, amount)
        fills[order.order_id] = (wh, [line])
    for order, wh in match.buys:
        amount = local.amount(wh) if local else None
        line = book.add(GRID, order.prosumer_id, wh, match.price, "order", order.order_id, amount)
        fills[order.order_id] = (wh, [line])
    return fills


# ---- models/domain/clearing.py ------------------------------------------------------------


MECHANISMS = ("mid_market", "bill_sharing", "auction", "supply_demand")


def _check_inputs(
    nets: Mapping[str, int], scale: int, mechanism: str, orders: Sequence[Order]
) -> None:
    """Refuse unknown mechanisms, reserved or non-text ids, non-int nets and duplicate orders."""
    if mechanism not in MECHANISMS:
        raise ValueError(f"unknown mechanism {mechanism!r}; use one of {MECHANISMS}")
    if type(scale) is not int or not 0 <= scale <= 18:
        raise ValueError(f"currency scale must be an int in 0..18, got {scale!r}")
    for pid, net in nets.items():
        if type(net) is not int:
            raise ValueError(f"net of {pid!r} must be an int Wh, got {net!r}")
        if not isinstance(pid, str) or pid in RESERVED_PARTIES:
            raise ValueError(f"invalid prosumer id: {pid!r}")
    ids = [o.order_id for o in orders]
    if len(set(ids)) != len(ids):
        raise ValueError("duplicate order ids")


def clear_timeframe(
    nets: Mapping[str, int],
    prices: Prices,
    scale: int,
    mechanism: str = "mid_market",
    orders: Sequence[Order] = (),
) -> ClearingResult:
    """Clear one timeframe's nets (Wh per prosumer) into ordered, balanced trades."""
    _check_inputs(nets, scale, mechanism, orders)
    book = TradeBook(scale)
    local = local_price(nets, prices, scale) if mechanism == "supply_demand" else None
    match: Match | None = None
    if orders and local is not None:
        match = match_at_local(nets, local, orders)
    elif orders:
        matcher = match_auction if mechanism == "auction" else match_at_mid
        match = matcher(nets, prices, orders)
    fills = book_match(book, match, local) if match else {}
    rest = match.rest if match else nets
    if mechanism == "bill_sharing":
        clear_bill_sharing(book, rest, prices)
    else:
        clear_mid_market(book, rest, prices, local)
    book.close_rounding()
    order_fills = {o.order_id: fills.get(o.order_id, (0, [])) for o in orders}
    price = match.price if match else None
    return ClearingResult(book.trades, order_fills, price)
