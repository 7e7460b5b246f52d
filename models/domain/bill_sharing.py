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
Amounts are exact rationals rounded once half-even to the minor unit; the unit_price shown on
share lines is the effective price rounded half-even to 12 decimal places (amount is authoritative).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from models.domain.mid_market import sides
from models.domain.money import exact_amount, round_ratio, scaled_ratio
from models.domain.trades import GRID, PLANT, Prices, TradeBook

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
