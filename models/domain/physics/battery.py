"""Battery dispatch by the prosumer's controls, in exact integer Wh (numpy only).

Per timeframe and prosumer (vectorised over prosumers, stepped over time):
own_use = min(produced, consumed); of the surplus, input_ratio is offered to the battery and
the rest sold; of the deficit, output_ratio is asked from the battery and the rest bought.
Power limits cap the energy at the battery's terminals per timeframe, the capacity caps the
stored energy. The round-trip efficiency is split evenly (sqrt) between charging and
discharging. Ratios and efficiencies become integer parts per million, so everything is
integer arithmetic and, by construction,

    produced + from_battery + bought == consumed + to_battery + sold + losses
    stored[t] == stored[t-1] + to_battery - from_battery,   0 <= stored <= capacity

where to_battery is the energy added to the store, from_battery the energy taken from it,
and losses the charge and discharge losses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from models.domain.physics.timeline import FloatArray, IntArray

PPM = 1_000_000
FLOWS = (
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


@dataclass(frozen=True)
class Battery:
    """A battery: capacity, power limits, round-trip efficiency and initial state of charge."""

    capacity_wh: int
    max_charge_w: int
    max_discharge_w: int
    round_trip_efficiency: float = 0.9
    initial_soc: float = 0.5
    enabled: bool = True

    def __post_init__(self) -> None:
        if min(self.capacity_wh, self.max_charge_w, self.max_discharge_w) < 0:
            raise ValueError("capacity_wh, max_charge_w and max_discharge_w must be >= 0")
        if not 0 < self.round_trip_efficiency <= 1:
            raise ValueError("round_trip_efficiency must be in (0, 1]")
        if not 0 <= self.initial_soc <= 1:
            raise ValueError("initial_soc must be in 0..1")


NO_BATTERY = Battery(0, 0, 0, 1.0, 0.0)


@dataclass(frozen=True)
class Controls:
    """Shares in 0..1: of surplus into the battery (rest sold), of deficit from it (rest bought)."""

    input_ratio: float = 1.0
    output_ratio: float = 1.0

    def __post_init__(self) -> None:
        for name in ("input_ratio", "output_ratio"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in 0..1, got {getattr(self, name)}")


@dataclass(frozen=True)
class Flows:
    """Integer Wh per prosumer (rows) and timeframe; stored_wh is the energy after the step."""

    produced: IntArray
    consumed: IntArray
    own_use: IntArray
    to_battery: IntArray
    from_battery: IntArray
    bought: IntArray
    sold: IntArray
    losses: IntArray
    stored_wh: IntArray
    capacity_wh: IntArray

    @property
    def soc(self) -> FloatArray:
        """State of charge in 0..1 after each timeframe (0 without a battery)."""
        cap = self.capacity_wh[:, None]
        return np.where(cap > 0, self.stored_wh / np.maximum(cap, 1), 0.0)

    def readings(self) -> tuple[IntArray, IntArray]:
        """The metered (produced, consumed) Wh per prosumer and timeframe."""
        return self.produced, self.consumed


def _ppm(values: npt.ArrayLike) -> IntArray:
    """Shares in 0..1 as integer parts per million."""
    return np.rint(np.asarray(values, dtype=np.float64) * PPM).astype(np.int64)


@dataclass(frozen=True)
class _Fleet:
    """The batteries and controls as integer arrays (one entry per prosumer)."""

    capacity: IntArray
    charge_max: IntArray
    discharge_max: IntArray
    eta: IntArray
    input_ppm: IntArray
    output_ppm: IntArray
    stored: IntArray

    @classmethod
    def build(
        cls, batteries: Sequence[Battery], controls: Sequence[Controls], minutes: int
    ) -> _Fleet:
        """Per-timeframe limits in Wh (floored), efficiencies and ratios in ppm."""
        bats = [b if b.enabled else NO_BATTERY for b in batteries]
        cap = np.array([b.capacity_wh for b in bats], dtype=np.int64)
        return cls(
            capacity=cap,
            charge_max=np.array([b.max_charge_w for b in bats], dtype=np.int64) * minutes // 60,
            discharge_max=np.array([b.max_discharge_w for b in bats], dtype=np.int64)
            * minutes
            // 60,
            eta=np.maximum(_ppm(np.sqrt([b.round_trip_efficiency for b in bats])), 1),
            input_ppm=_ppm([c.input_ratio for c in controls]),
            output_ppm=_ppm([c.output_ratio for c in controls]),
            stored=np.rint(cap * np.array([b.initial_soc for b in bats])).astype(np.int64),
        )


def dispatch(
    produced: IntArray,
    consumed: IntArray,
    batteries: Sequence[Battery],
    controls: Sequence[Controls],
    minutes: int,
) -> Flows:
    """Dispatch each prosumer's (row's) battery over the timeframes (columns)."""
    produced = np.asarray(produced, dtype=np.int64)
    consumed = np.asarray(consumed, dtype=np.int64)
    if produced.shape != consumed.shape or produced.ndim != 2:
        raise ValueError("produced and consumed must be equal (prosumers, timeframes) arrays")
    if np.any(produced < 0) or np.any(consumed < 0):
        raise ValueError("produced and consumed must be >= 0 Wh")
    if not len(batteries) == len(controls) == produced.shape[0]:
        raise ValueError("one battery and one controls per prosumer (row)")
    fleet = _Fleet.build(batteries, controls, minutes)
    own = np.minimum(produced, consumed)
    surplus, deficit = produced - own, consumed - own
    taken, gained, given, drawn, stored = _step_all(surplus.T.copy(), deficit.T.copy(), fleet)
    losses = (taken - gained) + (drawn - given)
    return Flows(
        produced,
        consumed,
        own,
        gained,
        drawn,
        deficit - given,
        surplus - taken,
        losses,
        stored,
        fleet.capacity,
    )


def _step_all(surplus: IntArray, deficit: IntArray, fleet: _Fleet) -> tuple[IntArray, ...]:
    """Step through time (rows of the transposed arrays); results as (prosumers, timeframes).

    Charging: the offer (input_ratio of the surplus, within the charge limit) is taken as far
    as the stored part floor(taken * eta) fits. Discharging: the ask (output_ratio of the
    deficit, within the discharge limit) is delivered as far as floor(stored * eta) allows,
    drawing ceil(given / eta) from the store.
    """
    offer = np.minimum(surplus * fleet.input_ppm // PPM, fleet.charge_max)
    ask = np.minimum(deficit * fleet.output_ppm // PPM, fleet.discharge_max)
    taken, gained, given, drawn, stored = (np.zeros_like(surplus) for _ in range(5))
    level, cap, eta = fleet.stored, fleet.capacity, fleet.eta
    for t in range(surplus.shape[0]):
        taken[t] = np.minimum(offer[t], (cap - level) * PPM // eta)
        gained[t] = taken[t] * eta // PPM
        level = level + gained[t]
        given[t] = np.minimum(ask[t], level * eta // PPM)
        drawn[t] = -((-given[t] * PPM) // eta)
        level = level - drawn[t]
        stored[t] = level
    return tuple(a.T for a in (taken, gained, given, drawn, stored))
