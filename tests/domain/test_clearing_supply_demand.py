"""Supply and demand clearing: p_t from S and D, exact rational amounts, balance properties."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain.clearing import ClearingResult, Order, Prices, clear_timeframe, local_prices
from models.domain.supply_demand import local_price, supply_and_demand
from tests.domain.clearing_checks import check_balanced, nets_st, orders_st, prices_st, scales

EUR = Prices(import_price=Decimal("0.30"), feed_in_price=Decimal("0.10"))


def _rows(result: ClearingResult) -> list[tuple[str, str, int, str, int, str]]:
    """Trades as compact tuples."""
    return [
        (t.seller, t.buyer, t.energy_wh, str(t.unit_price), t.amount_minor, t.kind)
        for t in result.trades
    ]


def p_t(nets: dict[str, int], prices: Prices) -> Fraction:
    """The rational oracle: p_fit + (p_imp - p_fit) * D / (S + D), p_mid when S = D = 0."""
    supply = sum(n for n in nets.values() if n > 0)
    demand = sum(-n for n in nets.values() if n < 0)
    fit, imp = Fraction(prices.feed_in_price), Fraction(prices.import_price)
    if supply + demand == 0:
        return (fit + imp) / 2
    return fit + (imp - fit) * Fraction(demand, supply + demand)


def test_readme_example() -> None:
    """The README's example: A +1100 Wh, B -500 Wh, C -200 Wh; p_imp 0.30, p_fit 0.10 EUR/kWh.

    S = 1100, D = 700: p_t = 0.10 + 0.20 * 700 / 1800 = 8/45 = 0.1777… EUR/kWh; V = 700.

    | line | seller   | buyer | Wh  | EUR/kWh        | exact cents      | cents | kind         |
    |------|----------|-------|-----|----------------|------------------|-------|--------------|
    | 0    | A        | grid  | 700 | 0.177777777778 | 112/9 = 12.44…   | 12    | local        |
    | 1    | grid     | B     | 500 | 0.177777777778 | 80/9 = 8.88…     | 9     | local        |
    | 2    | grid     | C     | 200 | 0.177777777778 | 32/9 = 3.55…     | 4     | local        |
    | 3    | A        | grid  | 400 | 0.10           | 4                | 4     | export       |
    | 4    | grid     | plant | 400 | 0.10           | 4                | 4     | plant_export |
    | 5    | rounding | grid  | 0   | 0              |                  | 1     | rounding     |

    The grid receives 9 + 4 + 4 = 17 and pays 12 + 4 = 16: it pays its 1 cent of rounding to the
    rounding account.
    """
    nets = {"A": 1100, "B": -500, "C": -200}
    assert p_t(nets, EUR) == Fraction(8, 45)
    assert _rows(clear_timeframe(nets, EUR, 2, "supply_demand")) == [
        ("A", "grid", 700, "0.177777777778", 12, "local"),
        ("grid", "B", 500, "0.177777777778", 9, "local"),
        ("grid", "C", 200, "0.177777777778", 4, "local"),
        ("A", "grid", 400, "0.10", 4, "export"),
        ("grid", "plant", 400, "0.10", 4, "plant_export"),
        ("rounding", "grid", 0, "0", 1, "rounding"),
    ]


@pytest.mark.parametrize(
    ("nets", "price"),
    [
        ({"A": -500}, "0.300000000000"),  # only demand: p_imp
        ({"A": 500}, "0.100000000000"),  # only supply: p_fit
        ({"A": 500, "B": -500}, "0.200000000000"),  # balanced: p_mid
        ({}, "0.200000000000"),  # S = D = 0: p_mid
        ({"A": 0, "B": 0}, "0.200000000000"),
    ],
)
def test_price_at_the_edges(nets: dict[str, int], price: str) -> None:
    """p_t runs from p_fit (all supply) over p_mid (balanced) to p_imp (all demand)."""
    supply, demand = supply_and_demand(nets)
    assert str(local_price(supply, demand, EUR).shown) == price
    assert local_prices("supply_demand", supply, demand, EUR) == (Decimal(price), Decimal(price))


def test_amounts_use_the_exact_price_not_the_shown_one() -> None:
    """At 10^15 Wh the 12-decimal p_t is off by cents; the amounts follow the exact 1/3 + 1/10."""
    nets = {"A": 10**15, "B": -(2 * 10**15)}  # p_t = 0.10 + 0.20 * 2/3 = 0.2333…
    result = clear_timeframe(nets, EUR, 2, "supply_demand")
    local = result.trades[0]
    assert local.kind == "local" and local.unit_price == Decimal("0.233333333333")
    exact = Fraction(10**15) * Fraction(7, 30) * 100 / 1000
    assert local.amount_minor == round(exact) == 23_333_333_333_333
    assert local.amount_minor != round(Fraction(10**15) * Fraction(local.unit_price) * 100 / 1000)


def test_orders_match_at_p_t() -> None:
    """p_t = 0.175 here: a buy at 0.18 and a sell at 0.17 match at p_t; a buy at 0.17 does not."""
    nets = {"A": 2500, "B": -1000, "C": -500}
    orders = [
        Order("b1", "B", "buy", 800, Decimal("0.18")),
        Order("b2", "C", "buy", 500, Decimal("0.17")),
        Order("s1", "A", "sell", 2000, Decimal("0.17")),
    ]
    result = clear_timeframe(nets, EUR, 2, "supply_demand", orders)
    assert result.order_price == Decimal("0.175")
    assert result.order_fills == {"b1": (800, [1]), "b2": (0, []), "s1": (800, [0])}
    assert [t.kind for t in result.trades[:2]] == ["order", "order"]
    local = {t.unit_price for t in result.trades if t.kind == "local"}
    assert local == {Decimal("0.175")}  # the remainder clears at the same p_t


def check_supply_demand(
    nets: dict[str, int], prices: Prices, scale: int, result: ClearingResult
) -> None:
    """Local and order lines at p_t (shown to 12 places), amounts from the exact p_t."""
    exact = p_t(nets, prices)
    for t in result.trades:
        if t.kind in ("local", "order"):
            assert abs(Fraction(t.unit_price) - exact) <= Fraction(1, 2 * 10**12)
            assert t.amount_minor == round(Fraction(t.energy_wh) * exact * 10**scale / 1000), t
        elif t.kind != "rounding":
            assert t.amount_minor == round(
                Fraction(t.energy_wh) * Fraction(t.unit_price) * 10**scale / 1000
            )
        assert prices.feed_in_price <= t.unit_price <= prices.import_price or t.kind == "rounding"


@given(st.data(), nets_st, prices_st(), scales)
def test_supply_demand_balances(
    data: st.DataObject, nets: dict[str, int], prices: Prices, scale: int
) -> None:
    """Balances hold, V = min(S, D) is traded locally or by order, all at p_t."""
    orders = data.draw(st.one_of(st.just([]), orders_st(nets)))
    result = clear_timeframe(nets, prices, scale, "supply_demand", orders)
    check_balanced(nets, result, scale)
    check_supply_demand(nets, prices, scale, result)
    supply, demand = supply_and_demand(nets)
    local = [t for t in result.trades if t.kind in ("local", "order")]
    assert sum(t.energy_wh for t in local if t.buyer == "grid") == min(supply, demand)
    assert sum(t.energy_wh for t in local if t.seller == "grid") == min(supply, demand)
