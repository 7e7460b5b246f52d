"""Load profiles in local time, scheduled loads with windows and pauses, appliances, sums."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.physics.loads import (
    Appliance,
    Load,
    ScheduledLoad,
    appliance_wh,
    group_total,
    load_wh,
    scheduled_wh,
    sum_by_owner,
)
from models.domain.physics.timeline import Timeline
from tests.domain.physics.samples import june

STEPS = tuple(h / 23 for h in range(24))


def _hourly(wh: np.ndarray) -> np.ndarray:
    """15-minute Wh of one row summed per hour."""
    return wh.reshape(-1, 4).sum(axis=1)


def test_load_follows_the_local_hour() -> None:
    """A 2300 W load with factor h/23 in local hour h: Berlin summer is UTC+2."""
    tl = june(days=1)  # Monday 2026-06-01
    out = _hourly(load_wh(tl, [Load(2300, STEPS)])[0])
    local_hours = [(utc + 2) % 24 for utc in range(24)]
    assert out.tolist() == [100 * h for h in local_hours]


def test_weekend_profile_on_saturday_and_sunday() -> None:
    """The weekend profile applies on local Saturday and Sunday only."""
    tl = Timeline(datetime(2026, 6, 5, 22, tzinfo=UTC), 60, 72, "Europe/Berlin")  # Sat 00:00
    load = Load(1000, (0.5,) * 24, weekend_profile=(1.0,) * 24)
    out = load_wh(tl, [load])[0]
    assert out[:48].tolist() == [1000] * 48 and out[48:].tolist() == [500] * 24


def test_bad_profiles_are_refused() -> None:
    """23 factors, a factor above 1, a negative peak: ValueError naming the field."""
    with pytest.raises(ValueError, match="profile"):
        Load(100, (0.5,) * 23)
    with pytest.raises(ValueError, match="weekend_profile"):
        Load(100, weekend_profile=(1.5,) * 24)
    with pytest.raises(ValueError, match="peak_w"):
        Load(-1)
    with pytest.raises(ValueError, match="HH:MM"):
        ScheduledLoad(100, 100, "7am", "09:00")


def test_scheduled_load_runs_from_the_window_start_until_done() -> None:
    """7 kW, 20 kWh per night from 22:00 local: 7, 7 and 6 kWh, nothing else, every day."""
    tl = june(days=3)
    out = scheduled_wh(tl, [ScheduledLoad(7000, 20000, "22:00", "06:00")])[0]
    hours = _hourly(out)
    for day in range(3):
        block = hours[day * 24 : (day + 1) * 24]
        assert block[20:23].tolist() == [7000, 7000, 6000]  # 22:00-01:00 CEST
        assert block.sum() == 20000


def test_a_pause_moves_energy_later_inside_the_window() -> None:
    """Paused for the first hour, the dishwasher starts an hour later; beyond the window: lost."""
    tl = june(days=1)
    dish = ScheduledLoad(2000, 3000, "10:00", "12:00")  # 08:00-10:00 UTC
    paused = np.zeros((1, tl.count), dtype=bool)
    paused[0, 8 * 4 : 9 * 4] = True
    plain, late = scheduled_wh(tl, [dish, dish], np.vstack([paused[0] & False, paused[0]]))
    assert _hourly(plain)[8:10].tolist() == [2000, 1000]
    assert _hourly(late)[8:10].tolist() == [0, 2000]  # only one hour left in the window
    assert late.sum() == 2000 and plain.sum() == 3000


def test_energy_is_exact_when_power_does_not_divide() -> None:
    """7 W for 15 minutes is 1.75 Wh: per-timeframe floors of the running total, exact per day."""
    tl = june(days=2)
    out = scheduled_wh(tl, [ScheduledLoad(7, 100, "00:00", "00:00")])[0]
    assert out.dtype == np.int64 and set(out[:8].tolist()) == {1, 2}
    assert out[:4].tolist() == [1, 2, 2, 2]  # running total 14 Wh at 02:00 local, then 15.75..
    assert out[:88].sum() == 100 - 14  # local day 1 began two hours before the run: 14 Wh done
    assert out[88:184].sum() == 100  # local day 2, 22:00 UTC to 22:00 UTC


@settings(max_examples=25, deadline=None)
@given(skip=st.integers(0, 191), size=st.integers(1, 96))
def test_a_run_starting_inside_a_window_continues_it(skip: int, size: int) -> None:
    """A sub-window gives exactly the numbers of the enclosing run."""
    loads = [
        ScheduledLoad(7000, 20000, "22:00", "06:00"),
        ScheduledLoad(900, 700, "09:10", "17:00"),
    ]
    whole = scheduled_wh(june(days=3), loads)
    part_tl = Timeline(june().start + timedelta(minutes=15 * skip), 15, size, "Europe/Berlin")
    assert np.array_equal(scheduled_wh(part_tl, loads), whole[:, skip : skip + size])


@given(seed=st.integers(0, 2**32), key=st.integers(0, 10**6))
@settings(max_examples=20, deadline=None)
def test_appliances_are_seeded_and_within_their_maximum(seed: int, key: int) -> None:
    """Same seed same pattern; never above max power; a producer only produces."""
    tl = june(days=1)
    bike = Appliance(key, max_consumption_w=0, max_production_w=150, busy_share=0.5)
    blender = Appliance(key + 1, max_consumption_w=400)
    used, made = appliance_wh(tl, [bike, blender], seed)
    again = appliance_wh(tl, [bike, blender], seed)
    assert np.array_equal(used, again[0]) and np.array_equal(made, again[1])
    assert not used[0].any() and not made[1].any()
    assert made[0].max() <= 150 * 15 // 60 + 1 and used[1].max() <= 400 * 15 // 60 + 1
    assert made[0].sum() > 0
    off = appliance_wh(tl, [Appliance(key, 400, 150, enabled=False)], seed)
    assert not off[0].any() and not off[1].any()


def test_sums_per_owner_and_group() -> None:
    """Assets add up to their prosumer; a consumer group counts its members' total."""
    wh = np.array([[1, 2], [10, 20], [100, 200]], dtype=np.int64)
    assert sum_by_owner([1, 0, 1], wh, 3).tolist() == [[10, 20], [101, 202], [0, 0]]
    assert group_total(wh).tolist() == [111, 222]
