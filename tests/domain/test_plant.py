"""The plant's timeframe accounting: dispatch, buffer, unserved energy and carbon, exactly."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain.plant import (
    PlantSettings,
    allocate,
    carbon_grams,
    dispatch,
    least_generation,
    output_limit_wh,
    timeframe_plant,
)


def _ceil(value: Decimal) -> int:
    return math.ceil(value)


ratios = st.decimals(min_value=0, max_value=1, places=4)
wh = st.integers(min_value=0, max_value=10**9)


def test_readme_worked_example() -> None:
    """The README's four 15-minute timeframes: 40 kW, ratio 0.2, a 5 kWh buffer, 820 g/kWh."""
    settings = PlantSettings(40_000, "running", Decimal("0.2"), 5_000, 820)
    carried, rows = 0, []
    for need in (6_000, 9_000, 12_000, 13_000):
        plant = timeframe_plant(settings, 15, need, carried)
        carried = plant["buffer_after_wh"]
        rows.append(
            tuple(
                plant[k]
                for k in (
                    "generated_wh",
                    "to_buffer_wh",
                    "from_buffer_wh",
                    "delivered_wh",
                    "unserved_wh",
                    "buffer_after_wh",
                    "carbon_g",
                )
            )
        )
    assert rows == [
        (7_500, 1_500, 0, 6_000, 0, 1_500, 4_920),
        (10_000, 1_000, 0, 9_000, 0, 2_500, 7_380),
        (10_000, 0, 2_000, 12_000, 0, 500, 9_840),
        (10_000, 0, 500, 10_500, 2_500, 0, 8_610),
    ]


def test_stopped_plant_serves_from_its_buffer_only() -> None:
    settings = PlantSettings(40_000, "stopped", Decimal("0.5"), 5_000, 820)
    plant = timeframe_plant(settings, 60, 3_000, 1_200)
    assert plant["max_output_wh"] == 0 and plant["generated_wh"] == 0
    assert (plant["from_buffer_wh"], plant["delivered_wh"], plant["unserved_wh"]) == (
        1200,
        1200,
        1800,
    )
    assert plant["buffer_after_wh"] == 0


def test_lowered_capacity_spills_the_excess_and_says_so() -> None:
    settings = PlantSettings(1_000, "running", Decimal("0.5"), 300, 820)
    plant = timeframe_plant(settings, 60, 0, 1_000)
    assert plant["buffer_before_wh"] == 300 and plant["buffer_spilled_wh"] == 700
    assert plant["buffer_after_wh"] == 300 and plant["delivered_wh"] == 0


def test_ratio_one_fills_the_buffer_first() -> None:
    """All output goes to the buffer until it is full; then the grid gets the rest."""
    done = dispatch(100, 1_000, Decimal(1), 50, 10)
    assert (done.generated_wh, done.to_buffer_wh, done.direct_wh) == (140, 40, 100)
    tight = dispatch(100, 120, Decimal(1), 50, 10)  # the need comes first at max output
    assert (tight.generated_wh, tight.to_buffer_wh, tight.direct_wh) == (120, 20, 100)


def test_output_limit_floors_to_the_wh() -> None:
    assert output_limit_wh(1_000_000, 15) == 250_000
    assert output_limit_wh(7, 15) == 1  # 1.75 Wh
    assert output_limit_wh(59, 1) == 0


def test_carbon_rounds_half_even_once() -> None:
    assert carbon_grams(1_000, 820) == 820
    assert carbon_grams(1, 500) == 0  # 0.5 -> 0
    assert carbon_grams(3, 500) == 2  # 1.5 -> 2
    assert carbon_grams(5, 500) == 2  # 2.5 -> 2
    assert carbon_grams(0, 820) == 0


def test_allocation_is_pro_rata_with_largest_remainder() -> None:
    nets = {"a": 500, "b": -1_000, "c": -500, "d": -500, "e": 0}
    assert allocate(nets, 1_000, 820) == {"b": (500, 410), "c": (250, 205), "d": (250, 205)}
    # 3 Wh over three equal deficits and 2 g: the remainders tie, so the lower ids win
    assert allocate({"x": -1, "y": -1, "z": -1}, 3, 2) == {"x": (1, 1), "y": (1, 1), "z": (1, 0)}
    assert allocate({"x": -10}, 0, 0) == {}
    with pytest.raises(ValueError):
        allocate({"x": -10}, 11, 9)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("max_output_w", -1),
        ("status", "idle"),
        ("ratio", Decimal("1.5")),
        ("carbon_g_per_kwh", 1.5),
    ],
)
def test_settings_are_checked(field: str, value: object) -> None:
    good: dict[str, object] = {
        "max_output_w": 1,
        "status": "running",
        "ratio": Decimal(0),
        "buffer_capacity_wh": 0,
        "carbon_g_per_kwh": 820,
    }
    with pytest.raises(ValueError):
        PlantSettings(**{**good, field: value})  # type: ignore[arg-type]


@given(need=wh, limit=wh, ratio=ratios, capacity=wh, data=st.data())
def test_dispatch_conserves_energy_and_bounds_the_buffer(
    need: int, limit: int, ratio: Decimal, capacity: int, data: st.DataObject
) -> None:
    buffer = data.draw(st.integers(min_value=0, max_value=capacity))
    done = dispatch(need, limit, ratio, capacity, buffer)
    assert done.delivered_wh + done.unserved_wh == need
    assert 0 <= done.buffer_after_wh <= capacity
    assert done.buffer_after_wh == buffer + done.to_buffer_wh - done.from_buffer_wh
    assert done.unserved_wh == max(need - limit - buffer, 0)  # only what output and buffer cannot
    assert 0 <= done.generated_wh <= limit
    assert done.generated_wh == done.direct_wh + done.to_buffer_wh
    assert done.to_buffer_wh <= _ceil(ratio * done.generated_wh)  # never more than its share
    assert min(done.to_buffer_wh, done.from_buffer_wh) == 0  # never both ways at once
    if done.unserved_wh == 0 and done.from_buffer_wh == 0 and done.generated_wh < limit:
        # not at max output: the buffer got exactly its share, or all the room it had
        share = _ceil(ratio * done.generated_wh)
        assert done.to_buffer_wh == min(share, capacity - buffer)


@given(need=st.integers(min_value=0, max_value=10**6), ratio=ratios, room=wh)
def test_least_generation_is_least(need: int, ratio: Decimal, room: int) -> None:
    """G* covers the need exactly, and one Wh less would not."""

    def grid_share(g: int) -> int:
        return g - min(_ceil(ratio * g), room)

    least = least_generation(need, ratio, room)
    assert grid_share(least) == need
    assert least == 0 or grid_share(least - 1) < need


@given(
    nets=st.dictionaries(st.text("abcdef", min_size=1, max_size=3), st.integers(-(10**6), 10**6)),
    share=st.fractions(min_value=0, max_value=1),
    g_per_kwh=st.integers(0, 10_000),
)
def test_allocation_sums_exactly(nets: dict[str, int], share: object, g_per_kwh: int) -> None:
    deficit = sum(-n for n in nets.values() if n < 0)
    delivered = int(deficit * share)  # type: ignore[operator]
    grams = carbon_grams(delivered, g_per_kwh)
    rows = allocate(nets, delivered, grams)
    assert sum(wh for wh, _ in rows.values()) == delivered
    assert sum(g for _, g in rows.values()) == grams
    assert all(nets[pid] < 0 and 0 < wh <= -nets[pid] for pid, (wh, _) in rows.items())
