"""PV: plane-of-array irradiance to Wh, night is zero, temperature derate, switches."""

from __future__ import annotations

import numpy as np
import pytest

from models.domain.physics.solar import PV, poa_w_m2, pv_wh
from models.domain.physics.weather import synthetic_weather
from tests.domain.physics.samples import BERLIN, june, still_weather


def test_flat_panel_under_overhead_sun_gives_its_peak() -> None:
    """POA 1000 W/m2 and no derate: a 4 kW array makes 1000 Wh per 15 minutes."""
    tl = june(days=1)
    out = pv_wh(still_weather(tl.count), tl, [PV(4000, tilt_deg=0, gamma_per_c=0.0)])
    assert out.dtype == np.int64 and np.all(out == 1000)


def test_hot_cells_make_less() -> None:
    """With gamma < 0 the cells above 25 C (Faiman) derate the output."""
    tl = june(days=1)
    weather = still_weather(tl.count, temperature_c=25.0)
    out = pv_wh(weather, tl, [PV(4000, tilt_deg=0), PV(4000, tilt_deg=0, gamma_per_c=0.0)])
    assert np.all(out[0] < out[1])


def test_pv_at_night_is_zero() -> None:
    """With the sun below the horizon nothing is produced, whatever the irradiance says."""
    tl = june(days=1)
    night = still_weather(tl.count, solar_zenith=100.0)
    assert not pv_wh(night, tl, [PV(5000, 30, 180)]).any()
    real = synthetic_weather(tl, *BERLIN, 1)
    out = pv_wh(real, tl, [PV(5000, 30, 180)])[0]
    dark = real.solar_zenith > 90
    assert dark.any() and np.all(out[dark] == 0) and out[~dark].sum() > 0


def test_orientation_matters_and_matches_geometry() -> None:
    """South beats north at 52.5 N at noon; a vertical plane facing the sun gets DNI*cos(aoi)."""
    w = still_weather(1, solar_zenith=60.0, dni_w_m2=800.0, dhi_w_m2=0.0, ghi_w_m2=400.0)
    poa = poa_w_m2(w, [90.0, 30.0, 30.0], [180.0, 180.0, 0.0])[:, 0]
    assert poa[0] == pytest.approx(800 * np.cos(np.radians(30)) + 400 * 0.25 * 0.5)
    assert poa[1] > poa[2]


def test_a_disabled_array_produces_nothing() -> None:
    """enabled=False and switched-off cells give 0."""
    tl = june(days=1)
    w = still_weather(tl.count)
    assert not pv_wh(w, tl, [PV(4000, enabled=False)]).any()
    on = np.zeros(tl.count, dtype=bool)[None, :]
    assert not pv_wh(w, tl, [PV(4000)], on).any()


def test_bad_arrays_are_refused() -> None:
    """Negative peak and tilt beyond 90 degrees raise ValueError naming the field."""
    with pytest.raises(ValueError, match="peak_power_w"):
        PV(-1)
    with pytest.raises(ValueError, match="tilt_deg"):
        PV(1000, tilt_deg=120)
