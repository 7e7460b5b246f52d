"""Shared strategies and balance checks for the clearing tests."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from fractions import Fraction

from hypothesis import strategies as st

from models.domain.clearing import ClearingResult, Order, Prices, Trade

ids = st.text("abcdefghij", min_size=1, max_size=3)
small = st.integers(-5000, 5000)
huge = st.integers(-(10**15), 10**15)
nets_st = st.dictionaries(ids, st.one_of(small, huge, st.just(0)), max_size=12)
scales = st.sampled_from([0, 2, 3])
price_digits = st.decimals(min_value=0, max_value=Decimal("5"), places=4)


@st.composite
def prices_st(draw: st.DrawFn) -> Prices:
    """Feed-in <= import, sometimes equal, sometimes zero."""
    a, b = draw(price_digits), draw(price_digits)
    return Prices(import_price=max(a, b), feed_in_price=min(a, b))


@st.composite
def orders_st(draw: st.DrawFn, nets: dict[str, int]) -> list[Order]:
    """Random orders by (mostly) the grid's prosumers, limits partly outside the band."""
    pids = [*nets, "stranger"]
    count = draw(st.integers(0, 8))
    return [
        Order(
            f"o{i}",
            draw(st.sampled_from(pids)),
            draw(st.sampled_from(["buy", "sell"])),
            draw(st.one_of(st.integers(0, 6000), st.integers(0, 10**15))),
            draw(price_digits),
        )
        for i in range(count)
    ]


def positions(trades: list[Trade]) -> dict[str, dict[str, int]]:
    """Per party: sold_wh, bought_wh, received, paid."""
    pos: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(("s", "b", "r", "p"), 0))
    for t in trades:
        pos[t.seller]["s"] += t.energy_wh
        pos[t.seller]["r"] += t.amount_minor
        pos[t.buyer]["b"] += t.energy_wh
        pos[t.buyer]["p"] += t.amount_minor
    return pos


def check_balanced(nets: dict[str, int], result: ClearingResult, scale: int) -> None:
    """Energy and money balance; grid at zero; every prosumer's sold - bought = its net."""
    trades = result.trades
    assert [t.line for t in trades] == list(range(len(trades)))
    assert all(t.energy_wh >= 0 and t.amount_minor >= 0 for t in trades)
    assert all(t.seller != t.buyer for t in trades)
    pos = positions(trades)
    assert sum(p["s"] for p in pos.values()) == sum(p["b"] for p in pos.values())
    assert sum(p["r"] for p in pos.values()) == sum(p["p"] for p in pos.values())
    grid = pos.get("grid", {"s": 0, "b": 0, "r": 0, "p": 0})
    assert grid["s"] == grid["b"] and grid["r"] == grid["p"]
    for pid, net in nets.items():
        mine = pos.get(pid, {"s": 0, "b": 0})
        assert mine["s"] - mine["b"] == net, pid
    plant = pos.get("plant", {"s": 0, "b": 0})
    assert plant["s"] - plant["b"] == -sum(nets.values())
    rounding = [t for t in trades if t.kind == "rounding"]
    assert len(rounding) <= 1 and all(t.amount_minor > 0 and t.energy_wh == 0 for t in rounding)
    if rounding:
        assert rounding[0].line == len(trades) - 1
        assert 2 * rounding[0].amount_minor <= len(trades)


def check_line_amounts(result: ClearingResult, scale: int) -> None:
    """Priced lines carry energy x price / 1000 x 10**scale rounded half-even (rational oracle)."""
    for t in result.trades:
        if t.kind not in ("share", "rounding"):
            exact = Fraction(t.energy_wh) * Fraction(t.unit_price) * 10**scale / 1000
            assert t.amount_minor == round(exact), t
