"""Mid-market clearing: hand-worked examples and balance properties."""

from __future__ import annotations

import random
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain.clearing import Order, Prices, Trade, clear_timeframe, trade_doc
from tests.domain.clearing_checks import (
    check_balanced,
    check_line_amounts,
    nets_st,
    orders_st,
    prices_st,
    scales,
)

EUR = Prices(import_price=Decimal("0.30"), feed_in_price=Decimal("0.10"))


def _rows(trades: list[Trade]) -> list[tuple[str, str, int, str, int, str]]:
    """Trades as compact tuples."""
    return [
        (t.seller, t.buyer, t.energy_wh, str(t.unit_price), t.amount_minor, t.kind) for t in trades
    ]


def test_hand_worked_three_prosumers() -> None:
    """A +3000 Wh, B -1000 Wh, C -500 Wh; p_imp 0.30, p_fit 0.10 EUR/kWh -> p_mid 0.20.

    S = 3000, D = 1500, V = min(S, D) = 1500. A sells 3000 * 1500/3000 = 1500 Wh locally.

    | line | seller | buyer | Wh   | EUR/kWh | cents | kind         |
    |------|--------|-------|------|---------|-------|--------------|
    | 0    | A      | grid  | 1500 | 0.20    | 30    | local        |
    | 1    | grid   | B     | 1000 | 0.20    | 20    | local        |
    | 2    | grid   | C     | 500  | 0.20    | 10    | local        |
    | 3    | A      | grid  | 1500 | 0.10    | 15    | export       |
    | 4    | grid   | plant | 1500 | 0.10    | 15    | plant_export |

    A receives 45 cents, B pays 20, C pays 10, the plant pays 15; the grid receives
    20 + 10 + 15 = 45 and pays 30 + 15 = 45: no rounding line.
    """
    result = clear_timeframe({"A": 3000, "B": -1000, "C": -500}, EUR, 2)
    assert _rows(result.trades) == [
        ("A", "grid", 1500, "0.20", 30, "local"),
        ("grid", "B", 1000, "0.20", 20, "local"),
        ("grid", "C", 500, "0.20", 10, "local"),
        ("A", "grid", 1500, "0.10", 15, "export"),
        ("grid", "plant", 1500, "0.10", 15, "plant_export"),
    ]


def test_hand_worked_rounding_line() -> None:
    """A +25, B +25, C -50 Wh at p_mid 0.20: A, B get 0.5 -> 0 cents each, C pays 1.0 -> 1.

    | line | seller   | buyer | Wh | cents | kind     |
    |------|----------|-------|----|-------|----------|
    | 0    | A        | grid  | 25 | 0     | local    |
    | 1    | B        | grid  | 25 | 0     | local    |
    | 2    | grid     | C     | 50 | 1     | local    |
    | 3    | rounding | grid  | 0  | 1     | rounding |
    """
    result = clear_timeframe({"C": -50, "B": 25, "A": 25}, EUR, 2)
    assert [(t.seller, t.buyer, t.amount_minor, t.kind) for t in result.trades] == [
        ("A", "grid", 0, "local"),
        ("B", "grid", 0, "local"),
        ("grid", "C", 1, "local"),
        ("rounding", "grid", 1, "rounding"),
    ]


def test_import_side_and_largest_remainder() -> None:
    """S < D: 100 Wh split over three equal buyers 34/33/33 (tie to the smallest id)."""
    result = clear_timeframe({"s": 100, "x": -200, "y": -200, "z": -200}, EUR, 2)
    local = {
        t.buyer: t.energy_wh for t in result.trades if t.kind == "local" and t.seller == "grid"
    }
    assert local == {"x": 34, "y": 33, "z": 33}
    plant = [t for t in result.trades if t.kind == "plant_import"]
    assert [(t.seller, t.buyer, t.energy_wh, t.unit_price) for t in plant] == [
        ("plant", "grid", 500, Decimal("0.30"))
    ]
    imports = {t.buyer: t.energy_wh for t in result.trades if t.kind == "import"}
    assert imports == {"x": 166, "y": 167, "z": 167}


@pytest.mark.parametrize("nets", [{}, {"a": 0, "b": 0}, {"a": 5, "b": -5}])
def test_degenerate_grids(nets: dict[str, int]) -> None:
    """Empty, all-zero and S == D grids never touch the plant."""
    result = clear_timeframe(nets, EUR, 2)
    assert not [t for t in result.trades if "plant" in (t.seller, t.buyer)]
    check_balanced(nets, result, 2)


@given(nets_st, prices_st(), scales)
def test_mid_market_balances(nets: dict[str, int], prices: Prices, scale: int) -> None:
    """Energy and money balance, grid at zero, prices in [p_fit, p_imp], amounts exact."""
    result = clear_timeframe(nets, prices, scale)
    check_balanced(nets, result, scale)
    check_line_amounts(result, scale)
    for t in result.trades:
        if t.kind != "rounding":
            assert prices.feed_in_price <= t.unit_price <= prices.import_price


@given(st.data(), nets_st, prices_st(), scales)
def test_mid_market_with_orders(
    data: st.DataObject, nets: dict[str, int], prices: Prices, scale: int
) -> None:
    """Orders match at p_mid only when acceptable; everything still balances and stays in band."""
    orders = data.draw(orders_st(nets))
    result = clear_timeframe(nets, prices, scale, orders=orders)
    check_balanced(nets, result, scale)
    check_line_amounts(result, scale)
    by_id = {o.order_id: o for o in orders}
    for t in result.trades:
        if t.kind != "rounding":
            assert prices.feed_in_price <= t.unit_price <= prices.import_price
        if t.kind == "order":
            order = by_id[t.order_id or ""]
            assert t.unit_price == prices.mid
            assert t.energy_wh <= order.energy_wh
            ok = (
                order.limit_price >= prices.mid
                if order.side == "buy"
                else order.limit_price <= prices.mid
            )
            assert ok
    assert set(result.order_fills) == set(by_id)


@given(nets_st, prices_st(), scales, st.randoms(use_true_random=False))
def test_deterministic(
    nets: dict[str, int], prices: Prices, scale: int, rnd: random.Random
) -> None:
    """The same nets in any insertion order give an identical trade list."""
    items = list(nets.items())
    rnd.shuffle(items)
    for mechanism in ("mid_market", "bill_sharing", "auction"):
        first = clear_timeframe(nets, prices, scale, mechanism)
        again = clear_timeframe(dict(items), prices, scale, mechanism)
        assert first == again


def test_trade_doc() -> None:
    """The store document: deterministic id, decimal-string price."""
    trade = clear_timeframe({"A": 3000, "B": -1000}, EUR, 2).trades[0]
    doc = trade_doc("g1", "2026-10-01T00:15:00Z", "EUR", trade)
    assert doc == {
        "_id": "g1:2026-10-01T00:15:00Z:000000",
        "grid_id": "g1",
        "timeframe_start": "2026-10-01T00:15:00Z",
        "currency": "EUR",
        "line": 0,
        "seller": "A",
        "buyer": "grid",
        "energy_wh": 1000,
        "unit_price": "0.20",
        "amount_minor": 20,
        "kind": "local",
        "order_id": None,
    }


@pytest.mark.parametrize(
    "call",
    [
        lambda: clear_timeframe({"grid": 5}, EUR, 2),
        lambda: clear_timeframe({"a": 1.5}, EUR, 2),  # type: ignore[dict-item]
        lambda: clear_timeframe({"a": 1}, EUR, 2, "pay_as_bid"),
        lambda: clear_timeframe({"a": 1}, EUR, -1),
        lambda: Prices(Decimal("0.1"), Decimal("0.2")),
        lambda: Prices(0.3, Decimal("0.1")),  # type: ignore[arg-type]
        lambda: Order("o", "a", "hold", 1, Decimal(1)),
        lambda: clear_timeframe({"a": 1}, EUR, 2, orders=[Order("o", "a", "buy", 1, EUR.mid)] * 2),
    ],
)
def test_rejects_bad_input(call: object) -> None:
    """Reserved ids, float nets, unknown mechanisms, bad scales/prices/orders, duplicate ids."""
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_ten_thousand_prosumers_clear() -> None:
    """10,000 prosumers clear under every mechanism (speed is measured by `make bench`)."""
    rnd = random.Random(7)
    nets = {f"p{i:05d}": rnd.randint(-4000, 4000) for i in range(10_000)}
    for mechanism in ("mid_market", "bill_sharing", "auction"):
        result = clear_timeframe(nets, EUR, 2, mechanism)
        assert len(result.trades) >= 10_000 - 10
