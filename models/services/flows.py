"""A prosumer's simulated energy flows, each timeframe telling what the house ran on."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.domain.energy_sources import sources, state_of_charge
from models.domain.timeframes import format_instant
from models.ports import ProsumerRecord, Stores


def list_flows(
    stores: Stores,
    prosumer: ProsumerRecord,
    start_from: datetime,
    start_to: datetime,
    page: int,
    size: int,
) -> tuple[list[dict[str, Any]], int]:
    """One page of the prosumer's flows in [start_from, start_to), oldest first, and the total."""
    docs, total = stores.documents.flows.of_prosumer(
        prosumer.grid_id,
        prosumer.id,
        format_instant(start_from),
        format_instant(start_to),
        (page - 1) * size,
        size,
    )
    return [_view(doc) for doc in docs], total


def _view(doc: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in doc.items() if k not in ("grid_id", "_id")}
    out["soc"] = state_of_charge(doc["stored_wh"], doc["capacity_wh"])
    out.update(sources(doc))
    return out
