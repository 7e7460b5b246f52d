"""Bill sharing: the community's one upstream bill shared by deficit or surplus."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from models.domain.clearing import Prices, clear_timeframe
from tests.domain.clearing_checks import (
    check_balanced,
    check_line_amounts,
    nets_st,
    orders_st,
    prices_st,
    scales,
)

EUR = Prices(import_price=Decimal("0.30"), feed_in_price=Decimal("0.10"))


def test_hand_worked_export_case() -> None:
    """A +3000, B -1000, C -500 Wh; p_imp 0.30, p_fit 0.10: the community exports 1500 Wh.

    | line | seller | buyer | Wh   | EUR/kWh | cents | kind         |
    |------|--------|-------|------|---------|-------|--------------|
    | 0    | A      | grid  | 3000 | 0.05    | 15    | share        |
    | 1    | grid   | B     | 1000 | 0       | 0     | share        |
    | 2    | grid   | C     | 500  | 0       | 0     | share        |
    | 3    | grid   | plant | 1500 | 0.10    | 15    | plant_export |

    A's effective price 0.10 * 1500 / 3000 = 0.05 is below p_fit; B and C pay nothing.
    """
    result = clear_timeframe({"A": 3000, "B": -1000, "C": -500}, EUR, 2, "bill_sharing")
    rows = [
        (t.seller, t.buyer, t.energy_wh, t.unit_price, t.amount_minor, t.kind)
        for t in result.trades
    ]
    assert rows == [
        ("A", "grid", 3000, Decimal("0.05"), 15, "share"),
        ("grid", "B", 1000, Decimal(0), 0, "share"),
        ("grid", "C", 500, Decimal(0), 0, "share"),
        ("grid", "plant", 1500, Decimal("0.10"), 15, "plant_export"),
    ]


def test_hand_worked_import_case() -> None:
    """A +500, B -1000, C -2000 Wh: import 2500 Wh at 0.30 = 75 cents shared 1:2 = 25 / 50."""
    result = clear_timeframe({"A": 500, "B": -1000, "C": -2000}, EUR, 2, "bill_sharing")
    paid = {t.buyer: t.amount_minor for t in result.trades if t.kind == "share"}
    assert paid == {"grid": 0, "B": 25, "C": 50}
    assert [t.amount_minor for t in result.trades if t.kind == "plant_import"] == [75]


@given(st.data(), nets_st, prices_st(), scales)
def test_bill_sharing_balances(
    data: st.DataObject, nets: dict[str, int], prices: Prices, scale: int
) -> None:
    """Balances hold; buyers pay the import bill, sellers get the export revenue (± ½ per line)."""
    orders = data.draw(st.one_of(st.just([]), orders_st(nets)))
    result = clear_timeframe(nets, prices, scale, "bill_sharing", orders)
    check_balanced(nets, result, scale)
    check_line_amounts(result, scale)
    shares = [t for t in result.trades if t.kind == "share"]
    for kind, price, party in (
        ("plant_import", prices.import_price, "buyer"),
        ("plant_export", prices.feed_in_price, "seller"),
    ):
        upstream = sum(t.energy_wh for t in result.trades if t.kind == kind)
        bill = Fraction(upstream) * Fraction(price) * 10**scale / 1000
        side = [t for t in shares if getattr(t, party) != "grid"]
        assert abs(sum(t.amount_minor for t in side) - bill) <= Fraction(len(side), 2)
    for t in shares:
        assert t.unit_price <= prices.import_price
        if t.seller != "grid":
            assert t.unit_price <= prices.feed_in_price
