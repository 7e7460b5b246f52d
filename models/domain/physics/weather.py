"""Weather per timeframe: a seeded synthetic generator, or measured series completed.

pvlib computes the sun's position (NREL SPA, `solarposition.spa_python`), the clear-sky
irradiance (`clearsky.ineichen` with a fixed Linke turbidity, no data files) and the split of
global horizontal irradiance into direct and diffuse (`irradiance.erbs`). numpy does the rest:
a seeded cloudiness process scales clear sky (Kasten-Czeplak), wind is an autocorrelated
Gaussian series mapped to a Weibull distribution through its CDF, temperature is a seasonal
and daily cycle plus noise. Same seed and timeline give identical arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from models.domain.physics import noise
from models.domain.physics.timeline import FloatArray, Timeline

_CLOUD, _WIND, _TEMP = 1, 2, 3  # noise streams


@dataclass(frozen=True)
class WeatherParams:
    """Knobs of the synthetic generator (defaults: a windy, temperate site)."""

    weibull_k: float = 2.0
    weibull_scale_m_s: float = 7.0
    wind_correlation_h: float = 8.0
    cloud_correlation_h: float = 4.0
    cloudiness: float = 0.6
    linke_turbidity: float = 3.0
    mean_temperature_c: float = 10.0
    seasonal_swing_c: float = 8.0
    daily_swing_c: float = 4.0
    wind_height_m: float = 10.0


@dataclass(frozen=True)
class Weather:
    """Per-timeframe weather at the grid's site (arrays of length `timeline.count`)."""

    wind_m_s: FloatArray
    ghi_w_m2: FloatArray
    dni_w_m2: FloatArray
    dhi_w_m2: FloatArray
    temperature_c: FloatArray
    solar_zenith: FloatArray
    solar_azimuth: FloatArray
    wind_height_m: float = 10.0


def sun_position(timeline: Timeline, latitude: float, longitude: float) -> FloatArray:
    """Rows apparent zenith, zenith and azimuth (degrees) at each timeframe's middle (pvlib)."""
    from pvlib import solarposition  # here, not at import: pvlib costs every process a second

    middle = (timeline.utc_s + timeline.step_s // 2).astype("datetime64[s]")
    pos = solarposition.spa_python(middle, latitude, longitude)
    columns = ("apparent_zenith", "zenith", "azimuth")
    return np.vstack([pos[c].to_numpy(dtype=np.float64) for c in columns])


def clear_sky_ghi(timeline: Timeline, apparent_zenith: FloatArray, turbidity: float) -> FloatArray:
    """Clear-sky global horizontal irradiance (W/m2) by the Ineichen-Perez model (pvlib)."""
    from pvlib import atmosphere, clearsky, irradiance

    with np.errstate(all="ignore"):
        airmass = atmosphere.get_absolute_airmass(atmosphere.get_relative_airmass(apparent_zenith))
        extra = irradiance.get_extra_radiation(timeline.day_of_year)
        sky = clearsky.ineichen(apparent_zenith, airmass, turbidity, dni_extra=extra)
    ghi = np.nan_to_num(np.asarray(sky["ghi"], dtype=np.float64))
    return np.where(apparent_zenith < 90.0, np.maximum(ghi, 0.0), 0.0)


def split_ghi(timeline: Timeline, ghi: FloatArray, zenith: FloatArray) -> FloatArray:
    """Rows DNI and DHI (W/m2) from GHI by the Erbs model (pvlib)."""
    from pvlib import irradiance

    with np.errstate(all="ignore"):
        parts = irradiance.erbs(ghi, zenith, timeline.day_of_year)
    dni = np.nan_to_num(np.asarray(parts["dni"], dtype=np.float64))
    dhi = np.nan_to_num(np.asarray(parts["dhi"], dtype=np.float64))
    return np.vstack([np.maximum(dni, 0.0), np.maximum(dhi, 0.0)])


def cloud_cover(timeline: Timeline, seed: int, params: WeatherParams) -> FloatArray:
    """Seeded cloud cover in 0..1: a correlated Gaussian through its CDF, raised to set the mean."""
    z = noise.correlated(seed, _CLOUD, 0, timeline, params.cloud_correlation_h)
    share = min(max(params.cloudiness, 1e-6), 1 - 1e-6)
    return np.asarray(noise.normal_cdf(z) ** ((1 - share) / share), dtype=np.float64)


def wind_speed(timeline: Timeline, seed: int, params: WeatherParams) -> FloatArray:
    """Seeded Weibull(k, scale) wind speed (m/s) with autocorrelation (Gaussian copula)."""
    z = noise.correlated(seed, _WIND, 0, timeline, params.wind_correlation_h)
    u = np.clip(noise.normal_cdf(z), 0.0, 1.0 - 1e-12)
    return np.asarray(params.weibull_scale_m_s * (-np.log1p(-u)) ** (1 / params.weibull_k))


def temperature(
    timeline: Timeline, seed: int, latitude: float, params: WeatherParams
) -> FloatArray:
    """Air temperature (deg C): seasonal cycle (mirrored south), daily cycle peaking 15:00."""
    season = -np.cos(2 * np.pi * (timeline.day_of_year - 15) / 365.25) * np.sign(latitude or 1)
    hour = (timeline.local_s % 86_400) / 3600
    day = np.cos(2 * np.pi * (hour - 15) / 24)
    jitter = noise.correlated(seed, _TEMP, 0, timeline, 6.0)
    base = params.mean_temperature_c + params.seasonal_swing_c * season
    return np.asarray(base + params.daily_swing_c * day + 1.5 * jitter, dtype=np.float64)


def synthetic_weather(
    timeline: Timeline,
    latitude: float,
    longitude: float,
    seed: int,
    params: WeatherParams | None = None,
) -> Weather:
    """Deterministic synthetic weather for the timeline at the site."""
    p = params or WeatherParams()
    apparent, zenith, azimuth = sun_position(timeline, latitude, longitude)
    clear = clear_sky_ghi(timeline, apparent, p.linke_turbidity)
    ghi = clear * (1 - 0.75 * cloud_cover(timeline, seed, p) ** 3.4)
    dni, dhi = split_ghi(timeline, ghi, zenith)
    temp = temperature(timeline, seed, latitude, p)
    wind = wind_speed(timeline, seed, p)
    return Weather(wind, ghi, dni, dhi, temp, zenith, azimuth, p.wind_height_m)


def measured_weather(
    timeline: Timeline,
    latitude: float,
    longitude: float,
    wind_m_s: npt.ArrayLike,
    ghi_w_m2: npt.ArrayLike,
    temperature_c: npt.ArrayLike,
    wind_height_m: float = 10.0,
) -> Weather:
    """Weather from measured series (one value per timeframe), completed by sun and Erbs split."""
    arrays = [np.asarray(a, dtype=np.float64) for a in (wind_m_s, ghi_w_m2, temperature_c)]
    if any(a.shape != (timeline.count,) for a in arrays):
        raise ValueError(f"each measured series needs {timeline.count} values")
    wind, ghi, temp = arrays
    _, zenith, azimuth = sun_position(timeline, latitude, longitude)
    ghi = np.where(zenith < 90.0, np.maximum(ghi, 0.0), 0.0)
    dni, dhi = split_ghi(timeline, ghi, zenith)
    return Weather(np.maximum(wind, 0.0), ghi, dni, dhi, temp, zenith, azimuth, wind_height_m)
