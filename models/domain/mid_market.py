"""Mid-market rate clearing, the grid as central counterparty.

With surpluses s_i = max(net_i, 0), deficits d_j = max(-net_j, 0), S = sum(s_i), D = sum(d_j),
p_mid = (p_imp + p_fit) / 2 and the local volume V = min(S, D):

- seller i sells v_i = s_i * V / S to the grid at p_mid          (kind "local")
- buyer j buys   w_j = d_j * V / D from the grid at p_mid        (kind "local")
  (v_i and w_j are split to the Wh by largest remainder, ties by prosumer id: sum v = sum w = V)
- if S > D: seller i sells s_i - v_i to the grid at p_fit        (kind "export")
            the grid sells S - D to the plant at p_fit          (kind "plant_export")
- if D > S: the plant sells D - S to the grid at p_imp          (kind "plant_import")
            buyer j buys d_j - w_j from the grid at p_imp       (kind "import")

Every line's amount is energy_wh * unit_price / 1000 * 10**scale, rounded once half-even.
All unit prices lie in [p_fit, p_imp]; the grid buys and sells the same energy at the same prices,
so only rounding is left on its books (booked by the caller as one "rounding" line).
"""

from __future__ import annotations

from collections.abc import Mapping

from models.domain.allocation import largest_remainder
from models.domain.trades import GRID, PLANT, Prices, TradeBook


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


def clear_mid_market(book: TradeBook, nets: Mapping[str, int], prices: Prices) -> None:
    """Append the mid-market trades of `nets` to `book`."""
    sellers, buyers = sides(nets)
    supply = sum(w for _, w in sellers)
    demand = sum(w for _, w in buyers)
    volume = min(supply, demand)
    p_mid = prices.mid
    sold = largest_remainder(sellers, volume)
    bought = largest_remainder(buyers, volume)
    for pid, _ in sellers:
        if sold[pid]:
            book.add(pid, GRID, sold[pid], p_mid, "local")
    for pid, _ in buyers:
        if bought[pid]:
            book.add(GRID, pid, bought[pid], p_mid, "local")
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
