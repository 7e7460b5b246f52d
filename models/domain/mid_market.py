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
"supply_demand" uses the same rule with its local price p_t in place of p_mid (`local`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal
from itertools import compress
from operator import sub

from models.domain.allocation import largest_remainder
from models.domain.money import RatioPrice
from models.domain.trades import GRID, PLANT, Prices, TradeBook

Side = tuple[list[str], list[int]]
Booking = Callable[[list[str], list[int], Decimal, str, list[int]], int]


def sides(nets: Mapping[str, int]) -> tuple[Side, Side]:
    """(sellers, buyers) as (prosumer ids, Wh > 0) sorted by id: surpluses and deficits."""
    ids = sorted(nets)
    values = list(map(nets.__getitem__, ids))
    sellers = [pid for pid, net in zip(ids, values, strict=True) if net > 0]
    buyers = [pid for pid, net in zip(ids, values, strict=True) if net < 0]
    surplus = [net for net in values if net > 0]
    deficit = [-net for net in values if net < 0]
    return (sellers, surplus), (buyers, deficit)


def nonzero(parties: list[str], energy: list[int]) -> Side:
    """The parties and energies where the energy is not zero."""
    return list(compress(parties, energy)), list(compress(energy, energy))


def clear_mid_market(
    book: TradeBook, nets: Mapping[str, int], prices: Prices, local: RatioPrice | None = None
) -> None:
    """Append the mid-market trades of `nets` to `book`, local lines at `local` (p_mid)."""
    (sellers, surplus), (buyers, deficit) = sides(nets)
    supply, demand = sum(surplus), sum(deficit)
    volume = min(supply, demand)
    price = local or RatioPrice.of(prices.mid)
    sold = largest_remainder(surplus, volume)
    bought = largest_remainder(deficit, volume)
    _local(book, nonzero(sellers, sold), price, book.sell_to_grid)
    _local(book, nonzero(buyers, bought), price, book.buy_from_grid)
    if supply > demand:
        book.sell_to_grid(
            *nonzero(sellers, list(map(sub, surplus, sold))), prices.feed_in_price, "export"
        )
        book.add(GRID, PLANT, supply - demand, prices.feed_in_price, "plant_export")
    elif demand > supply:
        book.add(PLANT, GRID, demand - supply, prices.import_price, "plant_import")
        book.buy_from_grid(
            *nonzero(buyers, list(map(sub, deficit, bought))), prices.import_price, "import"
        )


def _local(book: TradeBook, side: Side, price: RatioPrice, booking: Booking) -> None:
    """Book one side's local lines at `price` (amounts from its exact ratio)."""
    parties, energy = side
    booking(parties, energy, price.shown, "local", price.amounts(energy, book.scale))
