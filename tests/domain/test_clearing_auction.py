"""Uniform-price double auction, its remainder cleared mid-market."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from models.domain.clearing import Order, Prices, clear_timeframe
from tests.domain.clearing_checks import (
    check_balanced,
    check_line_amounts,
    nets_st,
    orders_st,
    prices_st,
    scales,
)

EUR = Prices(import_price=Decimal("0.30"), feed_in_price=Decimal("0.10"))


def test_hand_worked_auction() -> None:
    """A +3000, B -1000, C -500 Wh; orders A sell 2000 @0.12, B buy 1000 @0.28, C buy 500 @0.15.

    Walk: (B 0.28, A 0.12) match 1000; (C 0.15, A 0.12) match 500 -> Q = 1500,
    P = (0.15 + 0.12) / 2 = 0.135. A's remaining 1500 Wh has no buyers: exported at p_fit.

    | line | seller   | buyer | Wh   | EUR/kWh | exact cents | cents | kind         |
    |------|----------|-------|------|---------|-------------|-------|--------------|
    | 0    | A        | grid  | 1500 | 0.135   | 20.25       | 20    | order (s)    |
    | 1    | grid     | B     | 1000 | 0.135   | 13.5        | 14    | order (b)    |
    | 2    | grid     | C     | 500  | 0.135   | 6.75        | 7     | order (c)    |
    | 3    | A        | grid  | 1500 | 0.10    | 15          | 15    | export       |
    | 4    | grid     | plant | 1500 | 0.10    | 15          | 15    | plant_export |
    | 5    | rounding | grid  | 0    | 0       | -           | 1     | rounding     |

    The grid receives 14 + 7 + 15 = 36 and pays 20 + 15 = 35: it pays the 1 cent to rounding.
    """
    orders = [
        Order("s", "A", "sell", 2000, Decimal("0.12")),
        Order("b", "B", "buy", 1000, Decimal("0.28")),
        Order("c", "C", "buy", 500, Decimal("0.15")),
    ]
    result = clear_timeframe({"A": 3000, "B": -1000, "C": -500}, EUR, 2, "auction", orders)
    assert result.order_price == Decimal("0.135")
    assert [
        (t.seller, t.buyer, t.energy_wh, t.amount_minor, t.kind, t.order_id) for t in result.trades
    ] == [
        ("A", "grid", 1500, 20, "order", "s"),
        ("grid", "B", 1000, 14, "order", "b"),
        ("grid", "C", 500, 7, "order", "c"),
        ("A", "grid", 1500, 15, "export", None),
        ("grid", "plant", 1500, 15, "plant_export", None),
        ("rounding", "grid", 0, 1, "rounding", None),
    ]
    assert result.order_fills == {"s": (1500, [0]), "b": (1000, [1]), "c": (500, [2])}


def test_orders_are_bounded_by_actual_position() -> None:
    """A sell order beyond the surplus, and a buy order by a seller, fill only what is real."""
    orders = [
        Order("big", "A", "sell", 10_000, Decimal("0.10")),
        Order("wrong", "A", "buy", 500, Decimal("0.30")),
        Order("b", "B", "buy", 10_000, Decimal("0.30")),
    ]
    result = clear_timeframe({"A": 800, "B": -1000}, EUR, 2, "auction", orders)
    assert result.order_fills == {"big": (800, [0]), "wrong": (0, []), "b": (800, [1])}
    assert result.order_price == Decimal("0.20")


def test_clamped_price() -> None:
    """Limits far above the band clamp the uniform price to p_imp."""
    orders = [Order("s", "A", "sell", 100, Decimal("0.9")), Order("b", "B", "buy", 100, Decimal(2))]
    result = clear_timeframe({"A": 100, "B": -100}, EUR, 2, "auction", orders)
    assert result.order_price == Decimal("0.30")


@given(st.data(), nets_st, prices_st(), scales)
def test_auction_balances_and_honours_limits(
    data: st.DataObject, nets: dict[str, int], prices: Prices, scale: int
) -> None:
    """Balances hold; fills are bounded; in-band limits are honoured at the uniform price."""
    orders = data.draw(orders_st(nets))
    result = clear_timeframe(nets, prices, scale, "auction", orders)
    check_balanced(nets, result, scale)
    check_line_amounts(result, scale)
    by_id = {o.order_id: o for o in orders}
    order_trades = [t for t in result.trades if t.kind == "order"]
    assert {t.unit_price for t in order_trades} <= {result.order_price}
    bought = sum(t.energy_wh for t in order_trades if t.seller == "grid")
    assert bought == sum(t.energy_wh for t in order_trades if t.buyer == "grid")
    for t in result.trades:
        if t.kind != "rounding":
            assert prices.feed_in_price <= t.unit_price <= prices.import_price
    for oid, (filled, lines) in result.order_fills.items():
        order = by_id[oid]
        assert 0 <= filled <= order.energy_wh and len(lines) == (1 if filled else 0)
        price = result.order_price
        band = prices.feed_in_price <= order.limit_price <= prices.import_price
        if filled and band and price is not None:
            assert price <= order.limit_price if order.side == "buy" else price >= order.limit_price


def test_priority_ties_break_by_order_id() -> None:
    """Equal limits: the smaller order id fills first; one seller's orders share its surplus."""
    orders = [
        Order("b2", "B", "buy", 300, Decimal("0.25")),
        Order("b1", "C", "buy", 300, Decimal("0.25")),
        Order("s2", "A", "sell", 300, Decimal("0.15")),
        Order("s1", "A", "sell", 300, Decimal("0.15")),
    ]
    result = clear_timeframe({"A": 400, "B": -300, "C": -300}, EUR, 2, "auction", orders)
    fills = {oid: wh for oid, (wh, _) in result.order_fills.items()}
    assert fills == {"b1": 300, "b2": 100, "s1": 300, "s2": 100}
    assert result.order_price == Decimal("0.20")
