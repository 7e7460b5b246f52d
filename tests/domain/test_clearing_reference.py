"""The integer clearing equals the Decimal clearing it replaced, line by line, to the minor unit."""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.clearing import MECHANISMS, ClearingResult, Order, Prices, clear_timeframe
from models.domain.trades import trade_docs
from tests.domain import reference_clearing as reference

mechanisms = st.sampled_from(MECHANISMS)
ids = st.text("abcdefgh", min_size=1, max_size=4)
wh = st.one_of(
    st.integers(-60, 60), st.integers(-5000, 5000), st.integers(-(10**18), 10**18), st.just(0)
)
nets_st = st.one_of(
    st.dictionaries(ids, wh, max_size=6), st.dictionaries(ids, wh, min_size=8, max_size=40)
)


@st.composite
def decimals(draw: st.DrawFn) -> Decimal:
    """Non-negative Decimals with varied exponents ("0.2", "0.20", "2E+1", "0.000125")."""
    digits = draw(st.one_of(st.integers(0, 400), st.integers(0, 10**12)))
    return Decimal(digits).scaleb(draw(st.integers(-14, 2)))


@st.composite
def prices_st(draw: st.DrawFn) -> Prices:
    """Feed-in <= import, sometimes equal or zero."""
    a, b = draw(decimals()), draw(decimals())
    return Prices(import_price=max(a, b), feed_in_price=min(a, b))


@st.composite
def orders_st(draw: st.DrawFn, nets: dict[str, int], prices: Prices) -> list[Order]:
    """Orders mostly on the side of their prosumer's net, limits often tied, in and out of band."""
    band = [prices.feed_in_price, prices.import_price, prices.mid, Decimal("0.1"), Decimal("0.10")]
    limits = st.one_of(st.sampled_from(band), decimals())
    orders = []
    for n, pid in enumerate(
        draw(st.lists(st.sampled_from([*nets, "stranger"]), min_size=len(nets) // 2, max_size=30))
    ):
        net = nets.get(pid, 0)
        usual = "sell" if net > 0 else "buy"
        side = draw(st.sampled_from([usual, usual, "buy", "sell"]))
        energy = st.one_of(
            st.just(abs(net)), st.integers(0, 2 * abs(net) + 9), st.integers(0, 10**18)
        )
        name = draw(st.sampled_from([f"o{n}", f"{n}o", f"a{n}"]))
        orders.append(Order(name, pid, side, draw(energy), draw(limits)))
    return orders


def rows(result: Any) -> list[tuple[Any, ...]]:
    """Every field of every line; prices with their exact Decimal representation."""
    return [
        (
            t.line,
            t.seller,
            t.buyer,
            t.energy_wh,
            t.unit_price.as_tuple(),
            t.amount_minor,
            t.kind,
            t.order_id,
        )
        for t in result.trades
    ]


def assert_same(nets: dict[str, int], prices: Prices, scale: int, mech: str, orders: Any) -> None:
    """Lines, fills, price and store documents equal the reference's exactly."""
    old = reference.clear_timeframe(nets, prices, scale, mech, orders)
    new = clear_timeframe(nets, prices, scale, mech, orders)
    assert isinstance(new, ClearingResult)
    assert rows(new) == rows(old)
    assert new.order_fills == old.order_fills
    old_price = old.order_price.as_tuple() if old.order_price is not None else None
    assert (new.order_price.as_tuple() if new.order_price is not None else None) == old_price
    start = "2026-10-01T00:15:00Z"
    want = [reference.trade_doc("g", start, "EUR", t) for t in old.trades]
    assert trade_docs("g", start, "EUR", new) == want


@settings(max_examples=400, deadline=None)
@given(st.data(), nets_st, prices_st(), st.integers(0, 18), mechanisms)
def test_equals_the_reference_on_random_timeframes(
    data: st.DataObject, nets: dict[str, int], prices: Prices, scale: int, mech: str
) -> None:
    """Random nets, prices of any exponent, scales 0..18, with and without orders."""
    orders = data.draw(st.one_of(st.just([]), orders_st(nets, prices)))
    assert_same(nets, prices, scale, mech, orders)


def market(count: int, seed: int) -> tuple[dict[str, int], list[Order]]:
    """`count` uuid prosumers, about half sellers, 1-1,000 Wh, one order each at 0.10-0.30."""
    rng = random.Random(seed)
    nets: dict[str, int] = {}
    orders: list[Order] = []
    for n in range(count):
        pid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        energy = rng.randint(1, 1000)
        side = "sell" if rng.random() < 0.5 else "buy"
        nets[pid] = energy if side == "sell" else -energy
        limit = Decimal(rng.randint(1000, 3000)).scaleb(-4)
        orders.append(Order(f"o{n}", pid, side, rng.randint(0, 1200), limit))
    return nets, orders


@pytest.mark.parametrize("mech", MECHANISMS)
@pytest.mark.parametrize("with_orders", [False, True])
def test_equals_the_reference_on_a_large_timeframe(mech: str, with_orders: bool) -> None:
    """3,000 prosumers with uuid ids, one order each (or none), every mechanism."""
    nets, orders = market(3000, seed=11)
    prices = Prices(Decimal("0.30"), Decimal("0.08"))
    assert_same(nets, prices, 2, mech, orders if with_orders else [])


def test_the_comparison_can_fail() -> None:
    """A result one minor unit off on one line does not pass as equal."""
    nets = {"A": 3000, "B": -1000, "C": -500}
    prices = Prices(Decimal("0.30"), Decimal("0.10"))
    old = reference.clear_timeframe(nets, prices, 2, "mid_market")
    new = clear_timeframe(nets, prices, 2, "mid_market")
    assert rows(new) == rows(old)
    first = replace(old.trades[0], amount_minor=old.trades[0].amount_minor + 1)
    assert rows(reference.ClearingResult([first, *old.trades[1:]])) != rows(new)
