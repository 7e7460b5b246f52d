"""Order matching: a uniform-price double auction, and matching at the mid-market rate.

Each order is first bounded by its prosumer's actual position in the timeframe: a buy order by
the prosumer's deficit max(-net, 0), a sell order by its surplus max(net, 0) (shared by that
prosumer's orders in priority order). Priority: buys by limit descending, sells by limit
ascending, ties by order id.

Uniform-price double auction ("auction"): walk both books in priority order, matching
q = min(remaining buy, remaining sell) while buy limit >= sell limit. Q = sum(q). With (b*, s*)
the limits of the last matched pair, the uniform price is
    P = clamp((b* + s*) / 2, p_fit, p_imp).
Every matched buy has limit >= b* >= (b* + s*)/2 and every matched sell has limit <= s*, so P
honours all matched limits unless the clamp moves it (a limit outside [p_fit, p_imp]).
Matched sellers sell their fill to the grid at P, matched buyers buy theirs from the grid at P
(kind "order", order_id set). The remaining nets are cleared by the mid-market rule.

Matching at p_mid (under "mid_market" and "bill_sharing"): only orders acceptable at
p_mid = (p_imp + p_fit) / 2 take part (buy limit >= p_mid, sell limit <= p_mid);
Q = min(sum of acceptable buys, sum of acceptable sells) is filled in priority order on each
side at p_mid. The remaining nets are cleared by the chosen mechanism. Under "supply_demand"
the same matching runs at its local price p_t (`match_at`; limits compared with the exact p_t).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from itertools import accumulate, compress, repeat
from operator import attrgetter, mul

from models.domain.money import RatioPrice, exact_context
from models.domain.trades import Order, OrderFills, Prices, TradeBook

Book = tuple[list[Order], list[int]]
"""Orders in priority order and the Wh each can fill (or filled)."""

Ranked = tuple[Book, list[int]]
"""A book and the rank of each of its orders' limit among all distinct limits."""

_NONE: Book = ([], [])
_ORDER_ID = attrgetter("order_id")
_SIDE = attrgetter("side")
_LIMIT = attrgetter("limit_price")
_PROSUMER = attrgetter("prosumer_id")
_ENERGY = attrgetter("energy_wh")


@dataclass(frozen=True)
class Match:
    """Matched fills per side (orders and Wh), the price, and the nets left after them."""

    buys: Book
    sells: Book
    price: Decimal | None
    rest: dict[str, int]
    exact: RatioPrice | None = None


def _books(nets: Mapping[str, int], orders: Sequence[Order]) -> tuple[Ranked, Ranked]:
    """The buy and sell books of `orders` bounded by `nets`, with their limits' ranks.

    Each order's fields are read once, in the order given; priority is then sorted on integers:
    by order id, then (stably) by the rank of the limit among all distinct limits.
    """
    limits = list(map(_LIMIT, orders))
    ranks = {limit: rank for rank, limit in enumerate(sorted(set(limits)))}
    ids = list(map(_ORDER_ID, orders))
    by_id = sorted(range(len(orders)), key=ids.__getitem__)
    sides = list(map(_SIDE, orders))
    pids = list(map(_PROSUMER, orders))
    columns = _Columns(
        list(orders),
        list(map(ranks.__getitem__, limits)),
        pids,
        list(map(nets.get, pids, repeat(0))),
        list(map(_ENERGY, orders)),
    )
    buys = [i for i in by_id if sides[i] == "buy"]
    sells = [i for i in by_id if sides[i] == "sell"]
    return _book(columns, buys, -1), _book(columns, sells, 1)


@dataclass(frozen=True)
class _Columns:
    """Orders and, per order in the same order: limit rank, prosumer, net position, energy."""

    orders: list[Order]
    rank: list[int]
    pids: list[str]
    net: list[int]
    energy: list[int]


def _book(columns: _Columns, mine: list[int], sign: int) -> Ranked:
    """One side's orders (indices, by id) in priority order with bounded capacity and rank.

    A buy is bounded by its prosumer's deficit (sign -1), a sell by its surplus (sign 1);
    zero-capacity orders are dropped.
    """
    mine.sort(key=columns.rank.__getitem__, reverse=sign < 0)
    room = map(max, map(mul, map(columns.net.__getitem__, mine), repeat(sign)), repeat(0))
    if len(set(map(columns.pids.__getitem__, mine))) == len(mine):
        caps = list(map(min, map(columns.energy.__getitem__, mine), room))
    else:
        caps = _shared_caps(columns, mine, list(room))
    kept = list(compress(mine, caps))
    book = (list(map(columns.orders.__getitem__, kept)), list(compress(caps, caps)))
    return book, list(map(columns.rank.__getitem__, kept))


def _shared_caps(columns: _Columns, mine: list[int], room: list[int]) -> list[int]:
    """Capacities when a prosumer has several orders: its position is used up in priority order."""
    left: dict[str, int] = {}
    caps: list[int] = []
    for index, own in zip(mine, room, strict=True):
        pid = columns.pids[index]
        have = left.get(pid, own)
        cap = min(columns.energy[index], have)
        left[pid] = have - cap
        caps.append(cap)
    return caps


def _fill(book: Book, quantity: int) -> Book:
    """Fill `quantity` Wh (at most the book's total) down the book in priority order."""
    orders, caps = book
    if quantity <= 0:
        return [], []
    reached = list(accumulate(caps))
    last = bisect_left(reached, quantity)
    if last == len(caps):
        return orders[:], caps[:]
    return orders[: last + 1], [*caps[:last], quantity - (reached[last - 1] if last else 0)]


def _walk(buys: Ranked, sells: Ranked) -> tuple[int, Decimal | None]:
    """Matched quantity and the midpoint of the last matched pair's limits."""
    ((b_orders, b_caps), b_rank), ((s_orders, s_caps), s_rank) = buys, sells
    nb, ns = len(b_rank), len(s_rank)
    i = j = total = 0
    last_i = last_j = -1
    rb = b_caps[0] if nb else 0
    rs = s_caps[0] if ns else 0
    while i < nb and j < ns and b_rank[i] >= s_rank[j]:
        q = rb if rb < rs else rs
        total += q
        last_i, last_j = i, j
        rb -= q
        rs -= q
        if rb == 0:
            i += 1
            rb = b_caps[i] if i < nb else 0
        if rs == 0:
            j += 1
            rs = s_caps[j] if j < ns else 0
    if last_i < 0:
        return total, None
    with localcontext(exact_context()):
        return total, (b_orders[last_i].limit_price + s_orders[last_j].limit_price) / 2


def _result(nets: Mapping[str, int], buys: Book, sells: Book, price: Decimal | None) -> Match:
    """Package fills with the nets left after them."""
    rest = dict(nets)
    for order, wh in zip(*buys, strict=True):
        rest[order.prosumer_id] += wh
    for order, wh in zip(*sells, strict=True):
        rest[order.prosumer_id] -= wh
    return Match(buys, sells, price, rest)


def match_auction(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Uniform-price double auction of `orders` bounded by `nets`."""
    buys, sells = _books(nets, orders)
    quantity, mid = _walk(buys, sells)
    if mid is None:
        return _result(nets, _NONE, _NONE, None)
    price = min(max(mid, prices.feed_in_price), prices.import_price)
    return _result(nets, _fill(buys[0], quantity), _fill(sells[0], quantity), price)


def _acceptable(book: Book, accepts: Callable[[Decimal], bool]) -> Book:
    """The orders of `book` whose limit `accepts`, in the same order, with their capacities."""
    orders, caps = book
    keep = [accepts(o.limit_price) for o in orders]
    return list(compress(orders, keep)), list(compress(caps, keep))


def match_at_mid(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Match orders acceptable at p_mid, in priority order, at p_mid."""
    return match_at(nets, RatioPrice.of(prices.mid), orders)


def match_at(nets: Mapping[str, int], price: RatioPrice, orders: Sequence[Order]) -> Match:
    """Match orders acceptable at `price`, in priority order, at `price`."""
    (all_buys, _), (all_sells, _) = _books(nets, orders)
    buys = _acceptable(all_buys, price.at_most)
    sells = _acceptable(all_sells, price.at_least)
    quantity = min(sum(buys[1]), sum(sells[1]))
    if quantity == 0:
        return _result(nets, _NONE, _NONE, None)
    match = _result(nets, _fill(buys, quantity), _fill(sells, quantity), price.shown)
    return replace(match, exact=price)


def book_match(book: TradeBook, match: Match, fills: OrderFills) -> None:
    """Append the matched order trades (sells, then buys); record their fills."""
    if match.price is None:
        return
    for side, booking in ((match.sells, book.sell_to_grid), (match.buys, book.buy_from_grid)):
        orders, energy = side
        ids = list(map(_ORDER_ID, orders))
        parties = list(map(_PROSUMER, orders))
        amounts = match.exact.amounts(energy, book.scale) if match.exact else None
        first = booking(parties, energy, match.price, "order", amounts, ids)
        fills.energy.update(zip(ids, energy, strict=True))
        fills.line.update(zip(ids, range(first, first + len(ids)), strict=True))
