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
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext
from itertools import accumulate, compress, repeat
from operator import add, attrgetter, mul

from models.domain.money import RatioPrice, exact_context
from models.domain.trades import Order, OrderFills, Prices, TradeBook

Book = tuple[list[int], list[int]]
"""Orders (their positions in the orders given) in priority order and the Wh each can fill."""

Ranked = tuple[Book, list[int]]
"""A book and the rank of each of its orders' limit among all distinct limits."""

_NONE: Book = ([], [])
_ORDER_ID = attrgetter("order_id")
_SIDE = attrgetter("side")
_LIMIT = attrgetter("limit_price")
_PROSUMER = attrgetter("prosumer_id")
_ENERGY = attrgetter("energy_wh")
_SIGN = {"buy": -1, "sell": 1}


@dataclass(frozen=True)
class Columns:
    """The orders given as columns (element i is order i) and their distinct limits, ascending.

    `pos` is the position of each order's prosumer among the nets (len(nets) when it has none),
    `net` its net; `unique` whether no prosumer has two orders.
    """

    ids: list[str]
    pids: list[str]
    limits: list[Decimal]
    rank: list[int]
    pos: list[int]
    net: list[int]
    distinct: list[Decimal]
    unique: bool


@dataclass(frozen=True)
class Match:
    """Matched fills per side (order positions and Wh), the price, and the nets left after them."""

    columns: Columns
    buys: Book
    sells: Book
    price: Decimal | None
    rest: dict[str, int]
    exact: RatioPrice | None = None


def _books(nets: Mapping[str, int], orders: Sequence[Order]) -> tuple[Columns, Ranked, Ranked]:
    """The orders' columns and their buy and sell books bounded by `nets`, with limit ranks.

    Each field is read once, in the order given, and everything per order is computed in that
    order; only whole-column gathers follow the priority order (fewer cache misses at scale).
    """
    limits = list(map(_LIMIT, orders))
    distinct = sorted(set(limits))
    rank_of = {limit: rank for rank, limit in enumerate(distinct)}
    pids = list(map(_PROSUMER, orders))
    sides = list(map(_SIDE, orders))
    signs = list(map(_SIGN.__getitem__, sides))
    values = [*nets.values(), 0]
    position = {pid: index for index, pid in enumerate(nets)}
    pos = list(map(position.get, pids, repeat(len(nets))))
    columns = Columns(
        list(map(_ORDER_ID, orders)),
        pids,
        limits,
        list(map(rank_of.__getitem__, limits)),
        pos,
        list(map(values.__getitem__, pos)),
        distinct,
        len(set(pids)) == len(pids),
    )
    priority = _priority(columns, sides, len(distinct))
    sells = sides.count("sell")
    energy = list(map(_ENERGY, orders))
    room = list(map(max, map(mul, columns.net, signs), repeat(0)))
    if columns.unique:
        room = list(map(min, energy, room))
    buys = _book(columns, priority[sells:], energy, room)
    return columns, buys, _book(columns, priority[:sells], energy, room)


def _priority(columns: Columns, sides: list[str], top: int) -> list[int]:
    """Order positions: sells by limit ascending, then buys by limit descending; ties by id.

    One sort on small integer keys (one int object per key), then each run of equal keys by id:
    the ids are compared only within a run.
    """
    flipped = [2 * top - rank for rank in range(top)]
    keys = [flipped[r] if s == "buy" else r for s, r in zip(sides, columns.rank, strict=True)]
    order = sorted(range(len(keys)), key=keys.__getitem__)
    runs = Counter(keys)
    ids = columns.ids
    start = 0
    for size in map(runs.__getitem__, sorted(runs)):
        if size > 1:
            order[start : start + size] = sorted(order[start : start + size], key=ids.__getitem__)
        start += size
    return order


def _book(columns: Columns, mine: list[int], energy: list[int], room: list[int]) -> Ranked:
    """One side's orders (positions, in priority order) with bounded capacity and rank.

    A buy is bounded by its prosumer's deficit, a sell by its surplus (`room`, per order);
    zero-capacity orders are dropped.
    """
    if columns.unique:  # per order, computed in the order given; gathered here
        caps = list(map(room.__getitem__, mine))
    else:
        caps = _shared_caps(columns.pids, mine, energy, room)
    kept = list(compress(mine, caps))
    return (kept, list(compress(caps, caps))), list(map(columns.rank.__getitem__, kept))


def _shared_caps(pids: list[str], mine: list[int], energy: list[int], room: list[int]) -> list[int]:
    """Capacities when a prosumer has several orders: its position is used up in priority order."""
    left: dict[str, int] = {}
    caps: list[int] = []
    for index in mine:
        pid = pids[index]
        have = left.get(pid, room[index])
        cap = min(energy[index], have)
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


def _walk(columns: Columns, buys: Ranked, sells: Ranked) -> tuple[int, Decimal | None]:
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
    limits = columns.limits
    with localcontext(exact_context()):
        return total, (limits[b_orders[last_i]] + limits[s_orders[last_j]]) / 2


def _result(
    nets: Mapping[str, int], columns: Columns, buys: Book, sells: Book, price: Decimal | None
) -> Match:
    """Package fills with the nets left after them (the nets' values made in the nets' order)."""
    if not buys[0]:
        return Match(columns, buys, sells, price, dict(nets))
    values = list(nets.values())
    moved = [0] * len(values)
    pos = columns.pos
    for (mine, energy), sign in ((buys, 1), (sells, -1)):
        if columns.unique:  # one order per prosumer: set its move at C speed
            signed = map(mul, energy, repeat(sign))
            deque(map(moved.__setitem__, map(pos.__getitem__, mine), signed), maxlen=0)
            continue
        for index, wh in zip(mine, energy, strict=True):
            moved[pos[index]] += sign * wh
    rest = dict(zip(nets, map(add, values, moved), strict=True))
    return Match(columns, buys, sells, price, rest)


def match_auction(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Uniform-price double auction of `orders` bounded by `nets`."""
    columns, buys, sells = _books(nets, orders)
    quantity, mid = _walk(columns, buys, sells)
    if mid is None:
        return _result(nets, columns, _NONE, _NONE, None)
    price = min(max(mid, prices.feed_in_price), prices.import_price)
    return _result(nets, columns, _fill(buys[0], quantity), _fill(sells[0], quantity), price)


def _acceptable(ranked: Ranked, accepted: list[bool]) -> Book:
    """The orders of a book whose limit's rank is `accepted`, in the same order, with capacities."""
    (orders, caps), ranks = ranked
    keep = list(map(accepted.__getitem__, ranks))
    return list(compress(orders, keep)), list(compress(caps, keep))


def match_at_mid(nets: Mapping[str, int], prices: Prices, orders: Sequence[Order]) -> Match:
    """Match orders acceptable at p_mid, in priority order, at p_mid."""
    return match_at(nets, RatioPrice.of(prices.mid), orders)


def match_at(nets: Mapping[str, int], price: RatioPrice, orders: Sequence[Order]) -> Match:
    """Match orders acceptable at `price`, in priority order, at `price`."""
    columns, all_buys, all_sells = _books(nets, orders)
    buys = _acceptable(all_buys, list(map(price.at_most, columns.distinct)))
    sells = _acceptable(all_sells, list(map(price.at_least, columns.distinct)))
    quantity = min(sum(buys[1]), sum(sells[1]))
    if quantity == 0:
        return _result(nets, columns, _NONE, _NONE, None)
    match = _result(nets, columns, _fill(buys, quantity), _fill(sells, quantity), price.shown)
    return replace(match, exact=price)


def book_match(book: TradeBook, match: Match, fills: OrderFills) -> None:
    """Append the matched order trades (sells, then buys); record their fills."""
    if match.price is None:
        return
    columns = match.columns
    for side, booking in ((match.sells, book.sell_to_grid), (match.buys, book.buy_from_grid)):
        orders, energy = side
        ids = list(map(columns.ids.__getitem__, orders))
        parties = list(map(columns.pids.__getitem__, orders))
        amounts = match.exact.amounts(energy, book.scale) if match.exact else None
        first = booking(parties, energy, match.price, "order", amounts, ids)
        fills.filled += ids
        fills.energy += energy
        fills.line += range(first, first + len(ids))
