"""Synthetic weather: seeded, independent of the run's start, physically plausible."""

from __future__ import annotations

import math
from dataclasses import fields
from datetime import timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.domain.physics import noise
from models.domain.physics.timeline import Timeline
from models.domain.physics.weather import (
    Weather,
    WeatherParams,
    measured_weather,
    synthetic_weather,
)
from tests.domain.physics.samples import BERLIN, june

ARRAYS = [f.name for f in fields(Weather) if f.name != "wind_height_m"]


def _same(a: Weather, b: Weather) -> bool:
    """True if every array of `a` equals that of `b` exactly."""
    return all(np.array_equal(getattr(a, n), getattr(b, n)) for n in ARRAYS)


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32), skip=st.integers(0, 150), size=st.integers(1, 100))
def test_same_seed_same_numbers_whatever_the_window(seed: int, skip: int, size: int) -> None:
    """Two runs agree exactly, and a sub-window gives the numbers of the enclosing run."""
    whole = june(days=3)
    first = synthetic_weather(whole, *BERLIN, seed)
    assert _same(first, synthetic_weather(whole, *BERLIN, seed))
    part = Timeline(whole.start + timedelta(minutes=15 * skip), 15, size, whole.tz)
    inner = synthetic_weather(part, *BERLIN, seed)
    for name in ARRAYS:
        assert np.array_equal(getattr(inner, name), getattr(first, name)[skip : skip + size])


def test_another_seed_other_numbers() -> None:
    """The seed changes wind and clouds (the sun stays where it is)."""
    a = synthetic_weather(june(), *BERLIN, 1)
    b = synthetic_weather(june(), *BERLIN, 2)
    assert not np.array_equal(a.wind_m_s, b.wind_m_s)
    assert not np.array_equal(a.ghi_w_m2, b.ghi_w_m2)
    assert np.array_equal(a.solar_zenith, b.solar_zenith)


def test_sun_and_irradiance_follow_the_day_in_berlin() -> None:
    """Dark at local midnight, bright at local noon (12:00 CEST is 10:00 UTC), GHI = parts."""
    w = synthetic_weather(june(days=1), *BERLIN, 7)
    midnight, noon = 22 * 4, 10 * 4 + 4  # 00:00 and 13:00 CEST (11:00 UTC: solar noon ~11:07)
    assert w.solar_zenith[midnight] > 90 and w.ghi_w_m2[midnight] == 0
    assert 29 < w.solar_zenith[noon] < 32  # 90 - (90 - 52.5 + 23.4)
    assert 100 < w.ghi_w_m2[noon] < 1000
    assert 150 < w.solar_azimuth[noon] < 210
    cos_z = np.cos(np.radians(w.solar_zenith[noon]))
    assert w.dni_w_m2[noon] * cos_z + w.dhi_w_m2[noon] == pytest.approx(w.ghi_w_m2[noon])


def test_wind_is_weibull_and_autocorrelated() -> None:
    """A year of wind has the Weibull mean scale*Gamma(1+1/k) and strong lag-1 correlation."""
    params = WeatherParams(weibull_k=2.0, weibull_scale_m_s=7.0)
    year = Timeline(june().start, 60, 365 * 24, "UTC")
    wind = synthetic_weather(year, *BERLIN, 3, params).wind_m_s
    assert wind.min() >= 0
    assert wind.mean() == pytest.approx(7.0 * math.gamma(1.5), rel=0.1)
    assert np.corrcoef(wind[:-1], wind[1:])[0, 1] > 0.8


def test_correlated_noise_has_unit_variance() -> None:
    """The truncated AR(1) kernel keeps the marginal standard normal."""
    z = noise.correlated(5, 9, 0, Timeline(june().start, 15, 96 * 200, "UTC"), 4.0)
    assert abs(z.mean()) < 0.15 and z.std() == pytest.approx(1.0, rel=0.1)
    assert noise.normal_cdf(np.array([-8.0, 0.0, 1.0]))[1] == pytest.approx(0.5)
    assert noise.normal_cdf(np.array([1.0]))[0] == pytest.approx(0.841345, abs=1e-6)


def test_measured_weather_is_completed_and_checked() -> None:
    """Measured GHI is split into DNI/DHI, forced to 0 at night; a short series is refused."""
    tl = june(days=1)
    ghi = np.full(tl.count, 300.0)
    w = measured_weather(tl, *BERLIN, np.full(tl.count, 5.0), ghi, np.full(tl.count, 12.0))
    night = w.solar_zenith > 90
    assert night.any() and np.all(w.ghi_w_m2[night] == 0) and np.all(w.dni_w_m2[night] == 0)
    assert np.all(w.ghi_w_m2[~night] == 300.0)
    with pytest.raises(ValueError, match="96 values"):
        measured_weather(tl, *BERLIN, [5.0], ghi, ghi)
