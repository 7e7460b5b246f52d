"""Whole households: same seed same flows, a switched-off asset counts for nothing, groups."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.physics.battery import Battery, Controls, Flows
from models.domain.physics.household import Household, energy, simulate
from models.domain.physics.loads import Appliance, Load, ScheduledLoad
from models.domain.physics.solar import PV
from models.domain.physics.weather import synthetic_weather
from models.domain.physics.wind import Turbine
from tests.domain.physics.samples import BERLIN, june

FLOW_NAMES = (
    "produced",
    "consumed",
    "own_use",
    "to_battery",
    "from_battery",
    "bought",
    "sold",
    "losses",
    "stored_wh",
)
HOUSE = Household(
    turbines=(Turbine(3000, 18.0), Turbine(1500, 12.0)),
    pvs=(PV(5000, 35, 190),),
    loads=(Load(1200, tuple(0.2 + 0.03 * h for h in range(24))),),
    scheduled=(ScheduledLoad(7000, 14000, "22:00", "06:00"),),
    appliances=(Appliance(4, 300, 0), Appliance(5, 0, 120, busy_share=0.4)),
    battery=Battery(10_000, 4000, 4000, 0.9, 0.3),
    controls=Controls(0.7, 0.8),
)
ASSET_KINDS = ("turbines", "pvs", "loads", "scheduled", "appliances")


def _run(houses: list[Household], seed: int) -> Flows:
    """Simulate two days of June in Berlin."""
    tl = june(days=2)
    return simulate(houses, synthetic_weather(tl, *BERLIN, seed), tl, seed)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**31))
def test_same_seed_same_flows(seed: int) -> None:
    """Two runs with one seed give identical integer flows; the balance holds."""
    a, b = _run([HOUSE, HOUSE], seed), _run([HOUSE, HOUSE], seed)
    for name in FLOW_NAMES:
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(
        a.produced + a.from_battery + a.bought, a.consumed + a.to_battery + a.sold + a.losses
    )
    assert a.produced.sum() > 0 and a.consumed.sum() > 0


@settings(max_examples=20, deadline=None)
@given(kind=st.sampled_from(ASSET_KINDS), which=st.integers(0, 1), seed=st.integers(0, 99))
def test_a_disabled_asset_counts_for_nothing(kind: str, which: int, seed: int) -> None:
    """Disabling an asset gives the energy of the household without it."""
    assets = getattr(HOUSE, kind)
    index = which % len(assets)
    disabled = replace(assets[index], enabled=False)
    switched = replace(HOUSE, **{kind: assets[:index] + (disabled,) + assets[index + 1 :]})
    removed = replace(HOUSE, **{kind: assets[:index] + assets[index + 1 :]})
    tl = june(days=1)
    weather = synthetic_weather(tl, *BERLIN, seed)
    got = energy([switched, HOUSE], weather, tl, seed)
    want = energy([removed, HOUSE], weather, tl, seed)
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])


def test_disabling_a_working_asset_changes_the_household() -> None:
    """On a June day the PV array and the load each make a difference when switched off."""
    tl = june(days=1)
    weather = synthetic_weather(tl, *BERLIN, 3)
    no_pv = replace(HOUSE, pvs=(replace(HOUSE.pvs[0], enabled=False),))
    no_load = replace(HOUSE, loads=(replace(HOUSE.loads[0], enabled=False),))
    produced, consumed = energy([HOUSE, no_pv, no_load], weather, tl, 3)
    assert produced[1].sum() < produced[0].sum() and np.array_equal(consumed[1], consumed[0])
    assert consumed[2].sum() < consumed[0].sum() and np.array_equal(produced[2], produced[0])


def test_a_consumer_group_counts_its_members_total() -> None:
    """The group's consumption is the sum of its members'; it produces nothing."""
    members = [
        Household(loads=(Load(800),)),
        Household(loads=(Load(500, (0.5,) * 24),)),
        Household(scheduled=(ScheduledLoad(2000, 3000, "18:00", "23:00"),)),
    ]
    tl = june(days=1)
    weather = synthetic_weather(tl, *BERLIN, 1)
    produced, consumed = energy([*members, Household.group(members)], weather, tl, 1)
    assert np.array_equal(consumed[3], consumed[:3].sum(axis=0))
    # 250 W for 15 minutes is 62.5 Wh, rounded half-even to 62 in each timeframe
    assert not produced.any() and consumed[3].sum() == 800 * 24 + 62 * 96 + 3000
