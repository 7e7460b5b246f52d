"""Wind turbine output per timeframe in integer Wh.

windpowerlib corrects the weather's wind speed to each hub height (`wind_speed.
logarithmic_profile` with a roughness length, or `wind_speed.hellman`, the power law) and reads
power curves (`power_output.power_curve`, linear interpolation, zero outside the curve).
A turbine given by cut-in, rated and cut-out speeds gets a sampled cubic curve: 0 below cut-in,
rated power from the rated speed up to cut-out, 0 above cut-out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt

from models.domain.physics.timeline import FloatArray, IntArray, Timeline, switched, to_wh
from models.domain.physics.weather import Weather

_CUBIC_SAMPLES = 64


@dataclass(frozen=True)
class Turbine:
    """A wind turbine: rated power and speeds, or an explicit power curve [(m/s, W), ...]."""

    rated_power_w: int
    hub_height_m: float = 10.0
    cut_in_m_s: float = 3.0
    rated_m_s: float = 12.0
    cut_out_m_s: float = 25.0
    power_curve: tuple[tuple[float, float], ...] | None = None
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.rated_power_w < 0:
            raise ValueError(f"rated_power_w must be >= 0, got {self.rated_power_w}")
        if self.hub_height_m <= 0:
            raise ValueError(f"hub_height_m must be > 0, got {self.hub_height_m}")
        if self.power_curve is None and not (
            0 <= self.cut_in_m_s < self.rated_m_s <= self.cut_out_m_s
        ):
            raise ValueError("need 0 <= cut_in_m_s < rated_m_s <= cut_out_m_s")
        if self.power_curve is not None:
            _check_curve(self.power_curve)

    def curve(self) -> tuple[FloatArray, FloatArray]:
        """Power curve as (speeds m/s, power W), speeds increasing."""
        if self.power_curve is not None:
            table = np.asarray(self.power_curve, dtype=np.float64)
            return table[:, 0], table[:, 1]
        lo, hi = self.cut_in_m_s, self.rated_m_s
        speeds = np.linspace(lo, hi, _CUBIC_SAMPLES)
        power = self.rated_power_w * (speeds**3 - lo**3) / (hi**3 - lo**3)
        speeds = np.append(speeds, self.cut_out_m_s)
        return speeds, np.append(power, float(self.rated_power_w))


def _check_curve(curve: tuple[tuple[float, float], ...]) -> None:
    """Require >= 2 points, speeds strictly increasing and >= 0, powers >= 0."""
    table = np.asarray(curve, dtype=np.float64)
    if table.ndim != 2 or table.shape[0] < 2 or table.shape[1] != 2:
        raise ValueError("power_curve needs at least two [m/s, W] pairs")
    if np.any(np.diff(table[:, 0]) <= 0) or table[0, 0] < 0 or np.any(table[:, 1] < 0):
        raise ValueError("power_curve speeds must increase from >= 0 and powers be >= 0")


def hub_wind(
    weather: Weather,
    hub_heights_m: npt.ArrayLike,
    roughness_m: float = 0.1,
    hellman_exponent: float | None = None,
) -> FloatArray:
    """Wind speed (m/s) per hub height (rows) and timeframe: log law, or power law if given."""
    from windpowerlib import wind_speed as profile  # here, not at import: it loads pandas

    heights = np.asarray(hub_heights_m, dtype=np.float64)[:, None]
    wind = weather.wind_m_s[None, :]
    if hellman_exponent is not None:
        return np.asarray(
            profile.hellman(wind, weather.wind_height_m, heights, hellman_exponent=hellman_exponent)
        )
    return np.asarray(
        profile.logarithmic_profile(wind, weather.wind_height_m, heights, roughness_m)
    )


def turbine_power_w(speed_m_s: FloatArray, turbine: Turbine) -> FloatArray:
    """Power (W) of one turbine at the given hub-height speeds (windpowerlib power curve)."""
    from windpowerlib import power_output

    speeds, power = turbine.curve()
    return np.asarray(power_output.power_curve(speed_m_s, speeds, power), dtype=np.float64)


def turbine_wh(
    weather: Weather,
    timeline: Timeline,
    turbines: Sequence[Turbine],
    on: npt.ArrayLike | None = None,
    roughness_m: float = 0.1,
) -> IntArray:
    """Energy (Wh) of each turbine (rows) per timeframe; `on` switches rows or cells off."""
    out = np.zeros((len(turbines), timeline.count), dtype=np.int64)
    if not turbines:
        return out
    heights = sorted({t.hub_height_m for t in turbines})
    speeds = hub_wind(weather, heights, roughness_m)
    row_of_height = {h: i for i, h in enumerate(heights)}
    groups: dict[tuple[float, Turbine], list[int]] = {}
    for i, t in enumerate(turbines):
        groups.setdefault((t.hub_height_m, _shape(t)), []).append(i)
    for (height, shape), rows in groups.items():
        out[rows] = to_wh(turbine_power_w(speeds[row_of_height[height]], shape), timeline)
    enabled = np.array([t.enabled for t in turbines])
    return switched(switched(out, enabled), on)


def _shape(turbine: Turbine) -> Turbine:
    """The turbine without its switch, so identical machines share one computation."""
    return replace(turbine, enabled=True)
