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
side at p_mid. The remaining nets are cleared by the chosen mechanism.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal, localcontext
from itertools import accumulate, compress, repeat
from operator import attrgetter, mul

from models.domain.money import exact_context
from models.domain.trades import Order, OrderFills, Prices, TradeBook

Book = tuple[list[Order], list[int]]
"""Orders in priority order and the Wh each can fill (or filled)."""

_NONE: Book = ([], [])
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


def _ranks(orders: Sequence[Order]) -> dict[Decimal, int]:
    """The rank of every distinct limit price (equal prices share a rank): integer comparisons."""
    limits = sorted(set(map(_LIMIT, orders)))
    return {limit: rank for rank, limit in enumerate(limits)}


def _book(
    by_id: list[Order], nets: Mapping[str, int], side: str, ranks: dict[Decimal, int]
) -> Book:
    """The side's orders in priority order with their bounded capacity (zero-capacity dropped)."""
    sign = -1 if side == "buy" else 1
    mine = [o for o in by_id if o.side == side]
    keys = [sign * ranks[limit] for limit in map(_LIMIT, mine)]
    ranked = [mine[i] for i in sorted(range(len(mine)), key=keys.__getitem__)]
    pids = list(map(_PROSUMER, ranked))
    if len(set(pids)) == len(pids):
        positions = map(mul, map(nets.get, pids, repeat(0)), repeat(sign))
        caps = list(map(min, map(_ENERGY, ranked), map(max, positions, repeat(0))))
    else:
        caps = _shared_caps(ranked, pids, nets, sign)
    return list(compress(ranked, caps)), list(compress(caps, caps))


def _shared_caps(
    ranked: list[Order], pids: list[str], nets: Mapping[str, int], sign: int
) -> list[int]:
    """Capacities when a prosumer has several orders: its position is used up in priority order."""
    room: dict[str, int] = {}
    caps: list[int] = []
    for order, pid in zip(ranked, pids, strict=True):
        left = room.get(pid)
        if left is None:
            left = max(sign * nets.get(pid, 0), 0)
        cap = min(order.energy_wh, left)
        room[pid] = left - cap
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


def _walk(buys: Book, sells: Book, ranks: dict[Decimal, int]) -> tuple[int, Decimal | None]:
    """Matched quantity and the midpoint of the last matched pair's limits."""
    (b_orders, b_caps), (s_orders, s_caps) = buys, sells
    b_rank = [ranks[limit] for limit in map(_LIMIT, b_orders)]
    s_rank = [ranks[limit] for limit in map(_LIMIT, s_orders)]
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


def _books(
    nets: Mapping[str, int], orders: Sequence[Order]
) -> tuple[Book, Book, dict[Decimal, int]]:
    """(buy book, sell book, limit ranks) of `orders` bounded by `nets`."""
    by_id = sorted(orders, key=attrgetter("order_id"))
    ranks = _ranks(orders)
    return _book(by_id, nets, "buy", ranks), _book(by_id, nets, "sell", ranks), ranks


def match_auction(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Uniform-price double auction of `orders` bounded by `nets`."""
    buys, sells, ranks = _books(nets, orders)
    quantity, mid = _walk(buys, sells, ranks)
    if mid is None:
        return _result(nets, _NONE, _NONE, None)
    price = min(max(mid, prices.feed_in_price), prices.import_price)
    return _result(nets, _fill(buys, quantity), _fill(sells, quantity), price)


def _acceptable(book: Book, accepts: Callable[[Decimal], bool]) -> Book:
    """The orders of `book` whose limit `accepts`, in the same order, with their capacities."""
    orders, caps = book
    keep = [accepts(o.limit_price) for o in orders]
    return list(compress(orders, keep)), list(compress(caps, keep))


def match_at_mid(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Match orders acceptable at p_mid, in priority order, at p_mid."""
    p_mid = prices.mid
    all_buys, all_sells, _ = _books(nets, orders)
    buys = _acceptable(all_buys, p_mid.__le__)
    sells = _acceptable(all_sells, p_mid.__ge__)
    quantity = min(sum(buys[1]), sum(sells[1]))
    if quantity == 0:
        return _result(nets, _NONE, _NONE, None)
    return _result(nets, _fill(buys, quantity), _fill(sells, quantity), p_mid)


def book_match(book: TradeBook, match: Match, fills: OrderFills) -> None:
    """Append the matched order trades (sells, then buys); record their fills."""
    if match.price is None:
        return
    for side, booking in ((match.sells, book.sell_to_grid), (match.buys, book.buy_from_grid)):
        orders, energy = side
        ids = list(map(attrgetter("order_id"), orders))
        parties = list(map(_PROSUMER, orders))
        first = booking(parties, energy, match.price, "order", None, ids)
        fills.energy.update(zip(ids, energy, strict=True))
        fills.line.update(zip(ids, range(first, first + len(ids)), strict=True))
