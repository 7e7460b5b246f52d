"""PV output per timeframe in integer Wh.

pvlib transposes the weather's irradiance onto each array's plane (`irradiance.
get_total_irradiance`, isotropic sky) and estimates the cell temperature (`temperature.faiman`).
numpy scales: power = peak * POA / 1000 W/m2 * (1 + gamma * (T_cell - 25 C)). Arrays with the
same tilt and azimuth share one transposition, computed for daylight timeframes only;
night (sun below the horizon) gives exactly 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields

import numpy as np
import numpy.typing as npt

from models.domain.physics.timeline import FloatArray, IntArray, Timeline, switched, to_wh
from models.domain.physics.weather import Weather

STC_W_M2 = 1000.0


@dataclass(frozen=True)
class PV:
    """A PV array: peak power at 1000 W/m2 and 25 C, tilt from horizontal, azimuth from north."""

    peak_power_w: int
    tilt_deg: float = 30.0
    azimuth_deg: float = 180.0
    gamma_per_c: float = -0.004
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.peak_power_w < 0:
            raise ValueError(f"peak_power_w must be >= 0, got {self.peak_power_w}")
        if not 0 <= self.tilt_deg <= 90:
            raise ValueError(f"tilt_deg must be in 0..90, got {self.tilt_deg}")
        if not 0 <= self.azimuth_deg <= 360:
            raise ValueError(f"azimuth_deg must be in 0..360, got {self.azimuth_deg}")


def poa_w_m2(weather: Weather, tilts: npt.ArrayLike, azimuths: npt.ArrayLike) -> FloatArray:
    """Plane-of-array global irradiance (W/m2) per (tilt, azimuth) row and timeframe (pvlib)."""
    from pvlib import irradiance  # here, not at import: pvlib costs every process a second

    w = weather
    with np.errstate(all="ignore"):
        poa = irradiance.get_total_irradiance(
            np.asarray(tilts, dtype=np.float64)[:, None],
            np.asarray(azimuths, dtype=np.float64)[:, None],
            w.solar_zenith[None, :],
            w.solar_azimuth[None, :],
            w.dni_w_m2[None, :],
            w.ghi_w_m2[None, :],
            w.dhi_w_m2[None, :],
        )
    glob = np.nan_to_num(np.asarray(poa["poa_global"], dtype=np.float64))
    return np.where(w.solar_zenith[None, :] < 90.0, np.maximum(glob, 0.0), 0.0)


def yield_per_w(
    weather: Weather, tilts: npt.ArrayLike, azimuths: npt.ArrayLike, gammas: npt.ArrayLike
) -> FloatArray:
    """Output power per W of peak (rows per (tilt, azimuth, gamma)), temperature-derated.

    pvlib runs on the daylight timeframes only; the night stays exactly 0.
    """
    from pvlib import temperature as pvtemp

    day = weather.solar_zenith < 90.0
    lit = _columns(weather, day)
    poa = poa_w_m2(lit, tilts, azimuths)
    cell = pvtemp.faiman(poa, lit.temperature_c[None, :], lit.wind_m_s[None, :])
    derate = 1 + np.asarray(gammas, dtype=np.float64)[:, None] * (np.asarray(cell) - 25.0)
    out = np.zeros((poa.shape[0], day.size))
    out[:, day] = np.maximum(poa / STC_W_M2 * derate, 0.0)
    return out


def _columns(weather: Weather, keep: npt.NDArray[np.bool_]) -> Weather:
    """The weather of the timeframes where `keep` is true."""
    arrays = {
        f.name: getattr(weather, f.name)[keep] for f in fields(weather) if f.name != "wind_height_m"
    }
    return Weather(**arrays, wind_height_m=weather.wind_height_m)


def pv_wh(
    weather: Weather, timeline: Timeline, arrays: Sequence[PV], on: npt.ArrayLike | None = None
) -> IntArray:
    """Energy (Wh) of each PV array (rows) per timeframe; `on` switches rows or cells off."""
    if not arrays:
        return np.zeros((0, timeline.count), dtype=np.int64)
    keys = [(a.tilt_deg, a.azimuth_deg, a.gamma_per_c) for a in arrays]
    unique = sorted(set(keys))
    row = {k: i for i, k in enumerate(unique)}
    tilts, azimuths, gammas = (np.array(col) for col in zip(*unique, strict=True))
    per_w = yield_per_w(weather, tilts, azimuths, gammas)
    peaks = np.array([a.peak_power_w for a in arrays], dtype=np.float64)[:, None]
    out = to_wh(per_w[[row[k] for k in keys]] * peaks, timeline)
    return switched(switched(out, np.array([a.enabled for a in arrays])), on)
