"""Battery dispatch: the exact integer balance, SoC bounds, limits, controls, by hand."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.physics.battery import Battery, Controls, Flows, dispatch

MINUTES = 15
wh_rows = st.integers(1, 4).flatmap(
    lambda n: st.integers(1, 30).flatmap(
        lambda t: st.tuples(
            st.lists(
                st.lists(st.integers(0, 20_000), min_size=t, max_size=t), min_size=n, max_size=n
            ),
            st.lists(
                st.lists(st.integers(0, 20_000), min_size=t, max_size=t), min_size=n, max_size=n
            ),
        )
    )
)
shares = st.floats(0, 1, allow_nan=False)
batteries = st.builds(
    Battery,
    capacity_wh=st.integers(0, 30_000),
    max_charge_w=st.integers(0, 20_000),
    max_discharge_w=st.integers(0, 20_000),
    round_trip_efficiency=st.floats(0.5, 1.0),
    initial_soc=shares,
    enabled=st.booleans(),
)


def _run(
    data: tuple[list[list[int]], list[list[int]]], bats: list[Battery], ctls: list[Controls]
) -> Flows:
    """Dispatch with one battery and controls per row, cycling the drawn lists."""
    produced, consumed = (np.array(x, dtype=np.int64) for x in data)
    n = produced.shape[0]
    return dispatch(
        produced,
        consumed,
        [bats[i % len(bats)] for i in range(n)],
        [ctls[i % len(ctls)] for i in range(n)],
        MINUTES,
    )


@settings(max_examples=200, deadline=None)
@given(
    wh_rows,
    st.lists(batteries, min_size=1, max_size=4),
    st.lists(st.builds(Controls, shares, shares), min_size=1, max_size=4),
)
def test_balance_bounds_and_limits(data, bats, ctls) -> None:  # type: ignore[no-untyped-def]
    """Exact balance, stored energy bookkeeping, SoC in 0..1, power limits, no negative flow."""
    f = _run(data, bats, ctls)
    lhs = f.produced + f.from_battery + f.bought
    assert np.array_equal(lhs, f.consumed + f.to_battery + f.sold + f.losses)
    for name in ("own_use", "to_battery", "from_battery", "bought", "sold", "losses"):
        arr = getattr(f, name)
        assert arr.dtype == np.int64 and arr.min() >= 0, name
    n = f.produced.shape[0]
    row_bats = [bats[i % len(bats)] for i in range(n)]
    cap = np.array([b.capacity_wh if b.enabled else 0 for b in row_bats])[:, None]
    start = np.array([round(b.capacity_wh * b.initial_soc) if b.enabled else 0 for b in row_bats])
    before = np.hstack([start[:, None], f.stored_wh[:, :-1]])
    assert np.array_equal(f.stored_wh, before + f.to_battery - f.from_battery)
    assert np.all((f.stored_wh >= 0) & (f.stored_wh <= cap))
    assert np.all((f.soc >= 0) & (f.soc <= 1))
    charge = np.array([b.max_charge_w * MINUTES // 60 for b in row_bats])[:, None]
    discharge = np.array([b.max_discharge_w * MINUTES // 60 for b in row_bats])[:, None]
    taken = f.produced - f.own_use - f.sold  # at the terminals, before charge losses
    given_ = f.consumed - f.own_use - f.bought  # at the terminals, after discharge losses
    assert np.all(taken <= charge) and np.all(given_ <= discharge)
    assert np.all((taken == 0) | (given_ == 0))
    assert f.readings() == (f.produced, f.consumed)


@settings(max_examples=50, deadline=None)
@given(wh_rows, st.lists(batteries, min_size=1, max_size=2))
def test_controls_at_zero_leave_the_battery_alone(data, bats) -> None:  # type: ignore[no-untyped-def]
    """input_ratio 0 never charges, output_ratio 0 never discharges; all goes to the market."""
    f = _run(data, bats, [Controls(0.0, 0.0)])
    assert not f.to_battery.any() and not f.from_battery.any() and not f.losses.any()
    assert np.array_equal(f.sold, f.produced - f.own_use)
    assert np.array_equal(f.bought, f.consumed - f.own_use)


def test_disabled_battery_is_no_battery() -> None:
    """A switched-off battery neither charges nor discharges and reports SoC 0."""
    off = Battery(10_000, 5000, 5000, 0.9, 1.0, enabled=False)
    f = dispatch(np.array([[1000, 0]]), np.array([[0, 1000]]), [off], [Controls()], MINUTES)
    assert f.to_battery.tolist() == [[0, 0]] and f.from_battery.tolist() == [[0, 0]]
    assert f.sold.tolist() == [[1000, 0]] and f.bought.tolist() == [[0, 1000]]
    assert f.soc.tolist() == [[0.0, 0.0]]


def test_hand_worked_day() -> None:
    """Round trip 81 %: sqrt 0.9 each way, ratios 0.5 and 1.0, limits and capacity bite.

    t0: surplus 1000, half offered: 500 taken, 450 stored, 50 lost, 500 sold.
    t1: surplus 4000, 2000 offered, charge limit 1000 Wh (4 kW, 15 min): 900 stored, 100 lost.
    t2: deficit 3000, discharge limit 1000 Wh delivered, drawn ceil(1000/0.9) = 1112; 2000 bought.
    t3: deficit 500, 500 delivered, drawn 556; 1350 + 1000 - 1112 - 556 = 682 left.
    t4: deficit 1000, can deliver floor(682 * 0.9) = 613, drawn ceil(613/0.9) = 682.
    """
    bat = Battery(5000, 4000, 4000, 0.81, 0.2)
    produced = np.array([[1000, 4000, 0, 0, 0]])
    consumed = np.array([[0, 0, 3000, 500, 1000]])
    f = dispatch(produced, consumed, [bat], [Controls(0.5, 1.0)], MINUTES)
    assert f.to_battery.tolist() == [[450, 900, 0, 0, 0]]
    assert f.from_battery.tolist() == [[0, 0, 1112, 556, 682]]
    assert f.losses.tolist() == [[50, 100, 112, 56, 69]]
    assert f.sold.tolist() == [[500, 3000, 0, 0, 0]]
    assert f.bought.tolist() == [[0, 0, 2000, 0, 387]]
    assert f.stored_wh.tolist() == [[1450, 2350, 1238, 682, 0]]
    assert f.soc[0, -1] == 0.0 and f.soc[0, 1] == pytest.approx(0.47)


def test_a_full_battery_takes_nothing_more() -> None:
    """At capacity the surplus is sold; the store never passes capacity."""
    f = dispatch(
        np.array([[500, 500]]),
        np.array([[0, 0]]),
        [Battery(1000, 9000, 9000, 1.0, 0.9)],
        [Controls()],
        MINUTES,
    )
    assert f.to_battery.tolist() == [[100, 0]] and f.sold.tolist() == [[400, 500]]
    assert f.stored_wh.tolist() == [[1000, 1000]]


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Battery(-1, 0, 0), "capacity_wh"),
        (lambda: Battery(1, 0, 0, round_trip_efficiency=0.0), "round_trip_efficiency"),
        (lambda: Battery(1, 0, 0, initial_soc=1.5), "initial_soc"),
        (lambda: Controls(input_ratio=1.5), "input_ratio"),
        (lambda: Controls(output_ratio=-0.1), "output_ratio"),
        (lambda: dispatch(np.array([[1]]), np.array([[-1]]), [NO], [Controls()], 15), ">= 0"),
        (lambda: dispatch(np.array([[1]]), np.array([[1, 2]]), [NO], [Controls()], 15), "equal"),
    ],
)
def test_bad_input_is_refused(make, match: str) -> None:  # type: ignore[no-untyped-def]
    """Out-of-range parameters and malformed arrays raise ValueError naming the field."""
    with pytest.raises(ValueError, match=match):
        make()


NO = Battery(0, 0, 0)
