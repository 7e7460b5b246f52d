"""The simulation's run: balance per cell, SoC bounds, batteries resumed from a stored level,
consumer groups scaled, measured weather blended where it covers, same seed same numbers."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.physics.battery import Battery, Controls
from models.domain.physics.fleet import ROW, Measured, columns, run, site_weather
from models.domain.physics.household import Household
from models.domain.physics.loads import Load
from models.domain.physics.solar import PV
from models.domain.physics.timeline import Timeline
from models.domain.physics.wind import Turbine
from tests.domain.physics.samples import BERLIN, june


def house(i: int, ratios: tuple[float, float]) -> Household:
    return Household(
        turbines=(Turbine(2000 + 100 * i, 15.0),),
        pvs=(PV(3000, 30, 180),),
        loads=(Load(1500, tuple(0.2 + 0.03 * h for h in range(24))),),
        battery=Battery(6000, 2500, 2500, 0.85, 0.4),
        controls=Controls(*ratios),
    )


@settings(max_examples=25, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    members=st.lists(st.integers(1, 50), min_size=1, max_size=4),
    levels=st.lists(st.one_of(st.none(), st.integers(0, 9000)), min_size=4, max_size=4),
    ratios=st.tuples(st.floats(0, 1), st.floats(0, 1)),
)
def test_every_cell_balances_and_reruns_are_identical(
    seed: int, members: list[int], levels: list[int | None], ratios: tuple[float, float]
) -> None:
    tl = june(days=1)
    weather, measured = site_weather(tl, *BERLIN, seed)
    assert measured == 0
    houses = [house(i, ratios) for i in range(len(members))]
    stored = levels[: len(members)]
    flows = run(houses, members, weather, tl, seed, stored)
    left = flows.produced + flows.from_battery + flows.bought
    right = flows.consumed + flows.to_battery + flows.sold + flows.losses
    assert np.array_equal(left, right)
    assert (flows.stored_wh >= 0).all() and (flows.stored_wh <= 6000).all()
    again = run(houses, members, weather, tl, seed, stored)
    assert all(np.array_equal(getattr(flows, n), getattr(again, n)) for n in ROW)
    single = run(houses, [1] * len(members), weather, tl, seed, stored)
    assert np.array_equal(flows.consumed, single.consumed * np.array(members)[:, None])
    frames = list(columns(flows))
    assert len(frames) == tl.count
    assert [column[0] for column in frames[0][: len(ROW)]] == [
        int(getattr(flows, n)[0, 0]) for n in ROW
    ]
    assert frames[-1][2] == [int(v) for v in flows.own_use[:, -1]]
    assert frames[0][len(ROW)] == [int(c) for c in flows.capacity_wh]
    assert all(type(v) is int for frame in frames for column in frame for v in column)


def test_a_run_resumed_from_a_stored_level_continues_the_battery() -> None:
    tl = june(days=1)
    weather, _ = site_weather(tl, *BERLIN, 7)
    whole = run([house(0, (1, 1))], [1], weather, tl, 7, [None])
    half = Timeline(tl.start, 15, 48, tl.tz)
    rest = Timeline(tl.start.replace(hour=12), 15, 48, tl.tz)
    w1, _ = site_weather(half, *BERLIN, 7)
    w2, _ = site_weather(rest, *BERLIN, 7)
    one = run([house(0, (1, 1))], [1], w1, half, 7, [None])
    two = run([house(0, (1, 1))], [1], w2, rest, 7, [int(one.stored_wh[0, -1])])
    assert np.array_equal(np.hstack([one.stored_wh, two.stored_wh]), whole.stored_wh)
    assert np.array_equal(np.hstack([one.bought, two.bought]), whole.bought)


def test_measured_weather_is_used_where_it_covers() -> None:
    tl = june(days=1)
    noon = int(tl.utc_s[48])
    series = Measured([noon, noon + 3600], [20.0, 20.0], [0.0, 0.0], [15.0, 15.0])
    weather, measured = site_weather(tl, *BERLIN, 3, series)
    synthetic, _ = site_weather(tl, *BERLIN, 3)
    assert measured == 4  # the middles of 12:00..12:45 lie inside 12:00..13:00
    assert np.allclose(weather.wind_m_s[48:52], 20.0) and np.allclose(weather.ghi_w_m2[48:52], 0)
    assert np.allclose(weather.wind_m_s[:48], synthetic.wind_m_s[:48])
