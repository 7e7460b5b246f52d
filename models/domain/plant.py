"""The power plant's part in a closed timeframe: what it delivered, what it could not, its
buffer, and the carbon of the grid's imports — exact integer Wh and grams.

Per timeframe, with the grid's import need N = max(consumption - production, 0) (the
snapshot's `import_wh`), the plant's output limit M = floor(max_output_w * minutes / 60) Wh
(0 when stopped), ratio r (share of the plant's output kept in its buffer), buffer capacity C
and the buffer's level B0 carried from the timeframe before (clamped to C; any excess is
reported as `buffer_spilled_wh`):

1. The plant follows the need. Of every G Wh it generates, ceil(r * G) go to the buffer while
   it has room (room = C - B0); the rest goes to the grid. It generates the least G whose grid
   share covers N: G* = min(G1, N + room), with G1 = ceil(N / (1 - r)) the least G with
   G - ceil(r * G) >= N (for r = 1 the buffer takes everything until it is full: G* = N + room).
2. If G* <= M: generated = G*, direct = N, to_buffer = G* - N; nothing is unserved.
3. Otherwise the need comes first: generated = M, direct = min(N, M), to_buffer = M - direct
   (what output is left), and the buffer serves from_buffer = min(N - direct, B0).
4. delivered = direct + from_buffer; unserved = N - delivered = max(N - M - B0, 0);
   buffer after = B0 - from_buffer + to_buffer, always within 0..C.

Carbon: the grid's imports are the delivered Wh (fresh or from the buffer); their carbon is
delivered * carbon_g_per_kwh / 1000 grams, rounded half-even once. Per prosumer, the delivered
Wh are split pro rata to the deficits (-net of prosumers with net < 0), and the grams pro rata
to those imports, both by largest remainder (ties by prosumer id), so each sums exactly to the
grid's figure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from models.domain.allocation import largest_remainder
from models.domain.money import round_ratio

STATUSES = ("running", "stopped")


@dataclass(frozen=True)
class PlantSettings:
    """The plant's settings as they apply to a timeframe."""

    max_output_w: int
    status: str
    ratio: Decimal
    buffer_capacity_wh: int
    carbon_g_per_kwh: int

    def __post_init__(self) -> None:
        for name in ("max_output_w", "buffer_capacity_wh", "carbon_g_per_kwh"):
            _check_wh(name, getattr(self, name))
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if not isinstance(self.ratio, Decimal) or not Decimal(0) <= self.ratio <= Decimal(1):
            raise ValueError(f"ratio must be a Decimal in 0..1, got {self.ratio!r}")


@dataclass(frozen=True)
class Dispatch:
    """What the plant did in one timeframe (Wh)."""

    need_wh: int
    generated_wh: int
    direct_wh: int
    to_buffer_wh: int
    from_buffer_wh: int
    unserved_wh: int
    buffer_before_wh: int
    buffer_after_wh: int

    @property
    def delivered_wh(self) -> int:
        """Energy the grid received from the plant: fresh output plus buffer."""
        return self.direct_wh + self.from_buffer_wh


def _check_wh(name: str, value: object) -> None:
    if type(value) is not int or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")


def output_limit_wh(max_output_w: int, minutes: int) -> int:
    """The most the plant generates in a timeframe: floor(W * minutes / 60) Wh."""
    _check_wh("max_output_w", max_output_w)
    return max_output_w * minutes // 60


def least_generation(need_wh: int, ratio: Decimal, room_wh: int) -> int:
    """The least G whose grid share G - min(ceil(r * G), room) covers `need_wh`."""
    num, den = ratio.as_integer_ratio()
    if need_wh == 0:
        return 0
    if num >= den:  # r = 1: the buffer takes all output until it is full
        return need_wh + room_wh
    least = -(-need_wh * den // (den - num))  # ceil(need / (1 - r))
    return min(least, need_wh + room_wh)


def dispatch(
    need_wh: int, max_output_wh: int, ratio: Decimal, capacity_wh: int, buffer_wh: int
) -> Dispatch:
    """The plant's timeframe: need first from output, then from the buffer; see the module."""
    for name, value in (
        ("need_wh", need_wh),
        ("max_output_wh", max_output_wh),
        ("capacity_wh", capacity_wh),
        ("buffer_wh", buffer_wh),
    ):
        _check_wh(name, value)
    if buffer_wh > capacity_wh:
        raise ValueError(f"buffer_wh {buffer_wh} is above the capacity {capacity_wh}")
    if not Decimal(0) <= ratio <= Decimal(1):
        raise ValueError(f"ratio must be in 0..1, got {ratio}")
    least = least_generation(need_wh, ratio, capacity_wh - buffer_wh)
    if least <= max_output_wh:
        generated, direct, from_buffer = least, need_wh, 0
    else:
        generated, direct = max_output_wh, min(need_wh, max_output_wh)
        from_buffer = min(need_wh - direct, buffer_wh)
    to_buffer = generated - direct
    return Dispatch(
        need_wh=need_wh,
        generated_wh=generated,
        direct_wh=direct,
        to_buffer_wh=to_buffer,
        from_buffer_wh=from_buffer,
        unserved_wh=need_wh - direct - from_buffer,
        buffer_before_wh=buffer_wh,
        buffer_after_wh=buffer_wh - from_buffer + to_buffer,
    )


def carbon_grams(delivered_wh: int, g_per_kwh: int) -> int:
    """delivered * g_per_kwh / 1000 grams, rounded half-even once."""
    _check_wh("delivered_wh", delivered_wh)
    _check_wh("carbon_g_per_kwh", g_per_kwh)
    return round_ratio(delivered_wh * g_per_kwh, 1000)


def _split(weights: Mapping[str, int], total: int) -> dict[str, int]:
    """`total` pro rata to the positive weights (largest remainder, ties by key), no zeros."""
    keys = sorted(k for k, w in weights.items() if w > 0)
    if not keys:
        if total:
            raise ValueError("cannot split a positive total over no positive weights")
        return {}
    shares = largest_remainder([weights[k] for k in keys], total)
    return {k: s for k, s in zip(keys, shares, strict=True) if s}


def allocate(nets: Mapping[str, int], delivered_wh: int, grams: int) -> dict[str, tuple[int, int]]:
    """Per prosumer (imported_wh, carbon_g): delivered Wh pro rata to deficits, grams pro rata to
    those imports; prosumers with nothing left out. Both columns sum exactly to the totals."""
    deficits = {pid: -net for pid, net in nets.items() if net < 0}
    if delivered_wh > sum(deficits.values()):
        raise ValueError("the plant cannot deliver more than the prosumers' deficits")
    imports = _split(deficits, delivered_wh)
    carbon = _split(imports, grams)
    return {pid: (wh, carbon.get(pid, 0)) for pid, wh in imports.items()}


def timeframe_plant(
    settings: PlantSettings, minutes: int, need_wh: int, carried_wh: int
) -> dict[str, Any]:
    """The snapshot's `plant` object (JSON types only) for one timeframe."""
    _check_wh("carried_wh", carried_wh)
    running = settings.status == "running"
    limit = output_limit_wh(settings.max_output_w, minutes) if running else 0
    before = min(carried_wh, settings.buffer_capacity_wh)
    done = dispatch(need_wh, limit, settings.ratio, settings.buffer_capacity_wh, before)
    return {
        "status": settings.status,
        "max_output_wh": limit,
        "ratio": format(settings.ratio, "f"),
        "buffer_capacity_wh": settings.buffer_capacity_wh,
        "carbon_g_per_kwh": settings.carbon_g_per_kwh,
        "need_wh": need_wh,
        "generated_wh": done.generated_wh,
        "delivered_wh": done.delivered_wh,
        "from_buffer_wh": done.from_buffer_wh,
        "to_buffer_wh": done.to_buffer_wh,
        "unserved_wh": done.unserved_wh,
        "buffer_before_wh": before,
        "buffer_after_wh": done.buffer_after_wh,
        "buffer_spilled_wh": carried_wh - before,
        "carbon_g": carbon_grams(done.delivered_wh, settings.carbon_g_per_kwh),
    }
