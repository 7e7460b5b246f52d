"""What data partners buy per timeframe: each producer's production, each asset's consumption.

Partners never see prosumer or asset ids: each is replaced by a pseudonym that is stable for
one partner (the same prosumer gives the same id on every request) and differs between
partners: the first 16 bytes of HMAC-SHA256(SECRET_KEY, partner id ‖ id), as a UUID. It holds
as long as SECRET_KEY does. Admins and operators see the real ids.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any
from zoneinfo import ZoneInfo

from models.domain.communities import Load, in_window, watts
from models.domain.timeframes import floor_timeframe, format_instant, timeframe_end
from models.ports import AssetRecord, Stores
from models.services.clock import naive_utc
from models.services.errors import Conflict, found

Name = Callable[[str], str]


def pseudonyms(stores: Stores, partner_id: str | None) -> Name:
    """The id a caller sees: a per-partner pseudonym for a partner, the id itself otherwise."""
    if partner_id is None:
        return lambda real: real
    key = str(stores.config["SECRET_KEY"]).encode()

    def name(real: str) -> str:
        digest = hmac.new(key, f"{partner_id}:{real}".encode(), hashlib.sha256).digest()
        return str(uuid.UUID(bytes=digest[:16]))

    return name


def production(stores: Stores, grid_id: str, at: datetime, name: Name) -> dict[str, Any]:
    """The production of each prosumer that produced in the timeframe holding `at`."""
    with stores.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
        start = floor_timeframe(at, grid.timeframe_minutes)
        row = uow.registry.timeframe(grid_id, naive_utc(start))
        status = "open" if row is None else row.status
        if status != "closed":
            readings = uow.registry.readings_at(grid_id, naive_utc(start))
    if status == "closed":
        readings = _snapshot_readings(stores, grid_id, start)
    minutes = grid.timeframe_minutes
    named = sorted((name(pid), produced) for pid, (produced, _) in readings.items() if produced > 0)
    producers = [
        {"producer_id": who, "production_wh": wh, "production_w": watts(wh, minutes)}
        for who, wh in named
    ]
    return {
        "grid_id": grid_id,
        "timeframe": _span(start, minutes),
        "status": status,
        "producers": producers,
    }


def _span(start: datetime, minutes: int) -> dict[str, str]:
    return {
        "start": format_instant(start),
        "end": format_instant(timeframe_end(start, minutes)),
    }


def _snapshot_readings(stores: Stores, grid_id: str, start: datetime) -> dict[str, tuple[int, int]]:
    snapshot = stores.documents.snapshots.get(grid_id, format_instant(start))
    if snapshot is None:
        raise Conflict(f"timeframe {format_instant(start)} is closed but its snapshot is missing")
    return {
        line["prosumer_id"]: (line["produced_wh"], line["consumed_wh"])
        for line in snapshot["lines"]
        if not line["missing"]
    }


def asset_consumption(stores: Stores, grid_id: str, at: datetime, name: Name) -> dict[str, Any]:
    """Each consuming asset's expected power at the start of the timeframe holding `at`, from
    its parameters: an appliance its max consumption, a load its peak times the hour's factor
    (local time), a scheduled load its power inside its window unless paused; 0 when disabled."""
    with stores.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
        assets = list(uow.registry.grid_assets(grid_id))
    start = floor_timeframe(at, grid.timeframe_minutes)
    rows = [
        {
            "producer_id": name(a.prosumer_id),
            "asset_id": name(a.id),
            "type": a.type,
            "consumption_w": _expected_w(a, start, grid.timezone),
        }
        for a in assets
        if a.type in ("appliance", "load", "scheduled_load") and _consumes(a)
    ]
    rows.sort(key=lambda r: (r["producer_id"], r["asset_id"]))
    return {"grid_id": grid_id, "timeframe": _span(start, grid.timeframe_minutes), "assets": rows}


def _consumes(asset: AssetRecord) -> bool:
    return asset.type != "appliance" or asset.parameters.get("max_consumption_w", 0) > 0


def _expected_w(asset: AssetRecord, start: datetime, timezone: str) -> int:
    if not asset.enabled:
        return 0
    p = asset.parameters
    if asset.type == "appliance":
        return int(p.get("max_consumption_w", 0))
    if asset.type == "scheduled_load":
        load = Load(asset.id, asset.prosumer_id, p["power_w"], p["window_start"], p["window_end"])
        running = not p.get("paused") and in_window(load, start, timezone)
        return int(p["power_w"]) if running else 0
    local = start.astimezone(ZoneInfo(timezone))
    weekend = local.weekday() >= 5 and p.get("weekend_profile")
    factors: Sequence[Any] = p["weekend_profile"] if weekend else p["profile"]
    value = Decimal(p["peak_w"]) * Decimal(str(factors[local.hour]))
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))
