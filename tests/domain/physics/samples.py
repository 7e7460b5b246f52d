"""Timelines and hand-made weather for the physics tests."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from models.domain.physics.timeline import Timeline
from models.domain.physics.weather import Weather

BERLIN = (52.52, 13.40)


def june(days: int = 2, minutes: int = 15, tz: str = "Europe/Berlin") -> Timeline:
    """A timeline from 2026-06-01 00:00 UTC."""
    return Timeline(datetime(2026, 6, 1, tzinfo=UTC), minutes, days * 1440 // minutes, tz)


def still_weather(count: int, **values: float) -> Weather:
    """Constant weather: sun overhead with 1000 W/m2 direct unless overridden."""
    base = {
        "wind_m_s": 0.0,
        "ghi_w_m2": 1000.0,
        "dni_w_m2": 1000.0,
        "dhi_w_m2": 0.0,
        "temperature_c": 25.0,
        "solar_zenith": 0.0,
        "solar_azimuth": 180.0,
    }
    base.update(values)
    arrays = {k: np.full(count, v, dtype=np.float64) for k, v in base.items()}
    return Weather(**arrays, wind_height_m=10.0)
