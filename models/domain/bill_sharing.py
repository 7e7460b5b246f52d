"""Bill sharing: the community shares its one upstream bill (or revenue) among its members.

With s_i, d_j, S = sum(s_i), D = sum(d_j) as in mid-market:

- if D > S: the plant sells D - S to the grid at p_imp                (kind "plant_import")
            buyer j takes d_j from the grid and pays                  (kind "share")
                amount_j = p_imp * (D - S) * d_j / D
            seller i gives s_i to the grid for 0                      (kind "share")
- if S > D: the grid sells S - D to the plant at p_fit                (kind "plant_export")
            seller i gives s_i to the grid and receives               (kind "share")
                amount_i = p_fit * (S - D) * s_i / S
            buyer j takes d_j from the grid for 0                     (kind "share")
- if S == D: all share lines carry amount 0.

So buyers' effective unit price is p_imp * (D - S) / D and sellers' is p_fit * (S - D) / S:
both can be far below p_fit (down to 0): local energy is shared, only the upstream bill is paid.
Amounts are exact rationals (integer numerator over integer denominator) rounded once half-even
to the minor unit; the unit_price shown on share lines is the effective price rounded half-even
to 12 decimal places (amount is authoritative).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from models.domain.mid_market import Side, sides
from models.domain.money import amount_ratio, rounded_multiples, scaled_ratio
from models.domain.trades import GRID, PLANT, Prices, TradeBook

PRICE_PLACES = 12
_ZERO = Decimal(0)


def effective_price(price: Decimal, billed_wh: int, side_total: int) -> Decimal:
    """price * billed_wh / side_total rounded half-even to 12 places (0 when nothing is billed)."""
    if not billed_wh:
        return _ZERO
    p_num, p_den = price.as_integer_ratio()
    return scaled_ratio(p_num * billed_wh, p_den * side_total, PRICE_PLACES)


def _share(book: TradeBook, side: Side, bill: tuple[Decimal, int, int], paying: bool) -> None:
    """Book share lines for one side; `bill` is (price, energy_wh billed, side's total Wh)."""
    parties, energy = side
    price, billed_wh, side_total = bill
    if billed_wh:
        unit = effective_price(price, billed_wh, side_total)
        num, den = amount_ratio(price, book.scale)
        amounts = rounded_multiples(energy, num * billed_wh, den * side_total)
    else:
        unit, amounts = _ZERO, [0] * len(energy)
    if paying:
        book.buy_from_grid(parties, energy, unit, "share", amounts)
    else:
        book.sell_to_grid(parties, energy, unit, "share", amounts)


def clear_bill_sharing(book: TradeBook, nets: Mapping[str, int], prices: Prices) -> None:
    """Append the bill-sharing trades of `nets` to `book`."""
    sellers, buyers = sides(nets)
    supply, demand = sum(sellers[1]), sum(buyers[1])
    imported = max(demand - supply, 0)
    exported = max(supply - demand, 0)
    _share(book, sellers, (prices.feed_in_price, exported, supply), paying=False)
    _share(book, buyers, (prices.import_price, imported, demand), paying=True)
    if exported:
        book.add(GRID, PLANT, exported, prices.feed_in_price, "plant_export")
    if imported:
        book.add(PLANT, GRID, imported, prices.import_price, "plant_import")
