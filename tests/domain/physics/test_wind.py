"""Wind turbines: power curve by hand, hub height, switches, integer Wh."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.physics.wind import Turbine, hub_wind, turbine_power_w, turbine_wh
from tests.domain.physics.samples import june, still_weather

SMALL = Turbine(4000, hub_height_m=10.0, cut_in_m_s=3.0, rated_m_s=12.0, cut_out_m_s=25.0)


def test_power_curve_by_hand() -> None:
    """0 below cut-in, cubic between, rated from rated speed to cut-out, 0 above cut-out."""
    speeds = np.array([0.0, 2.9, 3.0, 7.5, 12.0, 20.0, 25.0, 25.1, 40.0])
    power = turbine_power_w(speeds, SMALL)
    assert power[0] == power[1] == power[2] == 0
    expected_mid = 4000 * (7.5**3 - 27) / (12**3 - 27)
    assert power[3] == pytest.approx(expected_mid, rel=1e-3)
    assert power[4] == power[5] == power[6] == 4000
    assert power[7] == power[8] == 0


def test_explicit_power_curve_is_interpolated() -> None:
    """An explicit [[m/s, W], ...] curve interpolates linearly and is 0 outside it."""
    turbine = Turbine(3000, power_curve=((3.0, 0.0), (5.0, 1000.0), (10.0, 3000.0), (20.0, 3000.0)))
    power = turbine_power_w(np.array([2.0, 4.0, 7.5, 15.0, 21.0]), turbine)
    assert power.tolist() == [0.0, 500.0, 2000.0, 3000.0, 0.0]


def test_energy_per_timeframe_in_whole_wh() -> None:
    """At rated speed a 4 kW turbine makes 1000 Wh in 15 minutes; below cut-in nothing."""
    tl = june(days=1)
    rated = turbine_wh(still_weather(tl.count, wind_m_s=12.0), tl, [SMALL])
    calm = turbine_wh(still_weather(tl.count, wind_m_s=2.0), tl, [SMALL])
    assert rated.dtype == np.int64 and np.all(rated == 1000)
    assert np.all(calm == 0)


def test_hub_height_correction_log_law() -> None:
    """Higher hubs see more wind; at the measurement height the speed is unchanged."""
    weather = still_weather(4, wind_m_s=6.0)
    speeds = hub_wind(weather, [10.0, 30.0, 80.0], roughness_m=0.1)
    assert speeds[0].tolist() == [6.0] * 4
    assert speeds[1, 0] == pytest.approx(6.0 * np.log(300) / np.log(100))
    assert speeds[0, 0] < speeds[1, 0] < speeds[2, 0]
    power_law = hub_wind(weather, [40.0], hellman_exponent=1 / 7)
    assert power_law[0, 0] == pytest.approx(6.0 * 4 ** (1 / 7))


@settings(max_examples=30, deadline=None)
@given(off_from=st.integers(0, 96), speed=st.floats(0, 30))
def test_a_switched_off_turbine_produces_nothing_from_then_on(off_from: int, speed: float) -> None:
    """Cells switched off give 0; a disabled turbine gives 0 everywhere; others are untouched."""
    tl = june(days=1)
    weather = still_weather(tl.count, wind_m_s=speed)
    on = np.ones((2, tl.count), dtype=bool)
    on[0, off_from:] = False
    out = turbine_wh(weather, tl, [SMALL, SMALL], on)
    assert np.all(out[0, off_from:] == 0)
    assert np.array_equal(out[0, :off_from], out[1, :off_from])
    disabled = Turbine(4000, enabled=False)
    assert not turbine_wh(weather, tl, [disabled]).any()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"rated_power_w": -1}, "rated_power_w"),
        ({"rated_power_w": 1, "cut_in_m_s": 26.0}, "cut_in"),
        ({"rated_power_w": 1, "hub_height_m": 0}, "hub_height_m"),
        ({"rated_power_w": 1, "power_curve": ((3.0, 0.0),)}, "power_curve"),
        ({"rated_power_w": 1, "power_curve": ((5.0, 0.0), (3.0, 1.0))}, "power_curve"),
    ],
)
def test_bad_turbines_are_refused(kwargs: dict[str, object], match: str) -> None:
    """Negative power, cut-in above cut-out, bad curves raise ValueError naming the field."""
    with pytest.raises(ValueError, match=match):
        Turbine(**kwargs)  # type: ignore[arg-type]
