"""Readings in: bulk and single upserts, all or nothing, idempotent, frozen once closing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from models.domain.money import exact_amount, minor_unit_scale
from models.domain.timeframes import format_instant, is_aligned
from models.ports import GridRecord, ProsumerRecord, ReadingRecord, UnitOfWork
from models.services.clock import aware_utc, naive_utc, utcnow
from models.services.errors import Conflict, Unprocessable


def check_start(grid: GridRecord, start: datetime) -> datetime:
    """The naive UTC start, or 422 when it is not on the grid's timeframe boundary."""
    if not is_aligned(start, grid.timeframe_minutes):
        raise Unprocessable(
            f"{format_instant(start)} is not on a {grid.timeframe_minutes}-minute timeframe "
            "boundary (UTC)",
            errors={"start": ["not a timeframe boundary"]},
        )
    return naive_utc(start)


def upsert_readings(
    uow: UnitOfWork,
    grid: GridRecord,
    start: datetime,
    lines: Sequence[dict[str, Any]],
    *,
    known: Mapping[str, tuple[str, bool]] | None = None,
) -> dict[str, int]:
    """Insert or update a timeframe's readings; report inserted, updated and unchanged counts.

    `known`: the lines' prosumers as `registry.prosumer_grids` gave them in this unit of work
    (a caller that already read them to answer each line); read here otherwise."""
    at = check_start(grid, start)
    uow.registry.lock_grid(grid.id)
    _check_prosumers(uow, grid.id, lines, known)
    existing = uow.registry.readings_at(grid.id, at)
    new, changed, unchanged = _diff(existing, lines)
    if new or changed:
        _refuse_if_closed(uow, grid.id, at, len(new) + len(changed))
    now = utcnow()
    uow.registry.insert_readings(
        [{**_row(line), "grid_id": grid.id, "start": at, "updated_at": now} for line in new]
    )
    uow.registry.update_readings(
        [{**_row(line), "start": at, "updated_at": now} for line in changed]
    )
    uow.commit()
    return {"inserted": len(new), "updated": len(changed), "unchanged": unchanged}


def _row(line: dict[str, Any]) -> dict[str, Any]:
    return {
        "prosumer_id": line["prosumer_id"],
        "produced_wh": line["produced_wh"],
        "consumed_wh": line["consumed_wh"],
    }


def _diff(
    existing: dict[str, tuple[int, int]], lines: Sequence[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], int]:
    new, changed, unchanged = [], [], 0
    for line in lines:
        before = existing.get(line["prosumer_id"])
        if before is None:
            new.append(line)
        elif before != (line["produced_wh"], line["consumed_wh"]):
            changed.append(line)
        else:
            unchanged += 1
    return new, changed, unchanged


def _check_prosumers(
    uow: UnitOfWork,
    grid_id: str,
    lines: Sequence[dict[str, Any]],
    known: Mapping[str, tuple[str, bool]] | None,
) -> None:
    ids = [line["prosumer_id"] for line in lines]
    if known is None:
        known = uow.registry.prosumer_grids(list(set(ids)))
    seen: set[str] = set()
    for index, pid in enumerate(ids):
        reason = None
        if pid in seen:
            reason = "appears twice in this timeframe"
        elif pid not in known:
            reason = "no such prosumer"
        elif known[pid][0] != grid_id:
            reason = "belongs to another grid"
        elif not known[pid][1]:
            reason = "is inactive"
        if reason:
            raise Unprocessable(
                f"readings[{index}].prosumer_id {pid} {reason}",
                errors={f"readings.{index}.prosumer_id": [reason]},
            )
        seen.add(pid)


def _refuse_if_closed(uow: UnitOfWork, grid_id: str, at: datetime, count: int) -> None:
    timeframe = uow.registry.timeframe(grid_id, at)
    if timeframe is not None:
        raise Conflict(
            f"timeframe {format_instant(aware_utc(at))} is {timeframe.status}; its readings "
            f"are immutable ({count} reading(s) would change)"
        )


def list_readings(
    uow: UnitOfWork,
    prosumer: ProsumerRecord,
    start_from: datetime,
    start_to: datetime,
    page: int,
    size: int,
) -> tuple[Sequence[ReadingRecord], int]:
    return uow.registry.readings(
        prosumer.id, naive_utc(start_from), naive_utc(start_to), page, size
    )


MAX_WH = 10**12


def check_energy(lines: Sequence[dict[str, Any]]) -> None:
    """422 naming the first line whose energy is not an integer Wh in [0, 10^12]."""
    for index, line in enumerate(lines):
        for field in ("produced_wh", "consumed_wh"):
            value = line[field]
            if type(value) is not int or not 0 <= value <= MAX_WH:
                raise Unprocessable(
                    f"readings[{index}].{field} must be an integer number of Wh between 0 and "
                    f"{MAX_WH}, got {value!r}",
                    errors={f"readings.{index}.{field}": ["not a non-negative integer Wh"]},
                )


# The document stores sum energy and money in 64-bit integers (< 9.22e18). Per timeframe at most
# 10^13 Wh and 10^14 minor units keep every sum exact: a month of 1-minute timeframes (44,700)
# moves at most 2 x 44,700 x 10^14 through one party, 400 days of netto 576,000 x 10^13 Wh.
MAX_TIMEFRAME_WH = 10**13
MAX_TIMEFRAME_MINOR = 10**14


def check_closable(grid: GridRecord, at: datetime, readings: dict[str, tuple[int, int]]) -> None:
    """422 before freezing when a timeframe's energy or money would overflow the stores' sums."""
    energy = sum(p + c for p, c in readings.values())
    price = Decimal(grid.import_price)
    money = exact_amount(energy, price, minor_unit_scale(grid.currency))
    if energy > MAX_TIMEFRAME_WH or money > MAX_TIMEFRAME_MINOR:
        raise Unprocessable(
            f"timeframe {format_instant(aware_utc(at))} moves {energy} Wh, up to {money:f} minor "
            f"units at {price} per kWh: above {MAX_TIMEFRAME_WH} Wh or {MAX_TIMEFRAME_MINOR} minor "
            "units, which cannot be summed exactly; correct its readings or prices"
        )
