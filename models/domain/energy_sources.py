"""Where a house's consumption came from in a timeframe: its own production, its battery or
the market (the seed's question), from one timeframe's integer flows."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

SOURCES = ("own_production", "battery", "market")
SOC_PLACES = Decimal("0.0001")


def sources(flow: dict[str, Any]) -> dict[str, Any]:
    """Consumption split into own production, battery and market Wh, and the largest of them.

    `ran_on` is the source serving most of the consumption (ties go to own production, then
    the battery), or `nothing` when nothing was consumed. The battery's share is what it
    delivered to the house (its stored energy taken, less the discharge losses).
    """
    own, bought = flow["own_use_wh"], flow["bought_wh"]
    battery = flow["consumed_wh"] - own - bought
    shares = dict(zip(SOURCES, (own, battery, bought), strict=True))
    ran_on = max(SOURCES, key=lambda s: (shares[s], -SOURCES.index(s)))
    return {
        "supplied_wh": {f"{s}_wh": shares[s] for s in SOURCES},
        "ran_on": ran_on if flow["consumed_wh"] > 0 else "nothing",
    }


def state_of_charge(stored_wh: int, capacity_wh: int) -> Decimal | None:
    """stored / capacity to four places (half-even), or None without a battery."""
    if capacity_wh <= 0:
        return None
    return (Decimal(stored_wh) / Decimal(capacity_wh)).quantize(SOC_PLACES, ROUND_HALF_EVEN)
