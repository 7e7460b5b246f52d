"""Seeded noise keyed by absolute time, and the AR(1)-like smoothing of it (numpy only).

Each day of timeframes draws its own numbers from `numpy.random.default_rng([seed, stream,
key, day])`, so a value depends on the seed and the timeframe, never on where a run starts:
simulating a month or one day inside it gives the same numbers for that day.
"""

from __future__ import annotations

import numpy as np

from models.domain.physics.timeline import DAY_S, FloatArray, IntArray, Timeline

# Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7): the normal CDF without scipy.
_AS = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _draw(seed: int, stream: int, key: int, steps: IntArray, per_day: int, kind: str) -> FloatArray:
    """Standard normal or uniform numbers for absolute timeframe indices `steps` (sorted)."""
    if seed < 0 or key < 0:
        raise ValueError(f"seed and key must be >= 0, got {seed}, {key}")
    if steps.size == 0:
        return np.zeros(0)
    days = np.arange(steps[0] // per_day, steps[-1] // per_day + 1)
    blocks = []
    for day in days:
        rng = np.random.default_rng([seed, stream, key, int(day)])
        draw = rng.standard_normal if kind == "normal" else rng.random
        blocks.append(draw(per_day))
    table = np.concatenate(blocks)
    return np.asarray(table[steps - days[0] * per_day], dtype=np.float64)


def normal(seed: int, stream: int, key: int, timeline: Timeline, lead: int = 0) -> FloatArray:
    """Standard normal numbers for the `lead` timeframes before the timeline and the timeline."""
    steps = np.arange(timeline.steps[0] - lead, timeline.steps[0] + timeline.count)
    if timeline.count == 0:
        steps = steps[:0]
    return _draw(seed, stream, key, steps, DAY_S // timeline.step_s, "normal")


def uniform(seed: int, stream: int, key: int, timeline: Timeline) -> FloatArray:
    """Uniform numbers in [0, 1) per timeframe of the timeline."""
    return _draw(seed, stream, key, timeline.steps, DAY_S // timeline.step_s, "uniform")


def correlated(
    seed: int, stream: int, key: int, timeline: Timeline, correlation_h: float
) -> FloatArray:
    """A standard normal series with autocorrelation exp(-lag / correlation_h).

    An AR(1) process truncated to a finite exponential kernel (5 correlation times long) and
    rescaled to unit variance, so each value depends only on the noise of the timeframes just
    before it: vectorised with `np.convolve`, and independent of where the run starts.
    """
    phi = float(np.exp(-timeline.hours / correlation_h))
    length = max(1, int(np.ceil(5 * correlation_h / timeline.hours)))
    kernel = phi ** np.arange(length)
    kernel /= np.sqrt(np.sum(kernel**2))
    raw = normal(seed, stream, key, timeline, lead=length - 1)
    if timeline.count == 0:
        return raw
    return np.convolve(raw, kernel, mode="valid")


def normal_cdf(z: FloatArray) -> FloatArray:
    """Phi(z), the standard normal CDF, vectorised."""
    x = np.abs(z) / np.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (_AS[0] + t * (_AS[1] + t * (_AS[2] + t * (_AS[3] + t * _AS[4]))))
    erf = 1.0 - poly * np.exp(-x * x)
    return np.asarray(0.5 * (1.0 + np.sign(z) * erf), dtype=np.float64)
