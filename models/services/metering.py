"""Readings in: bulk and single upserts, all or nothing, idempotent, frozen once closing."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from operator import itemgetter
from typing import Any, cast

from models.domain.money import exact_amount, minor_unit_scale
from models.domain.timeframes import format_instant, is_aligned
from models.ports import GridRecord, ProsumerRecord, ReadingLine, ReadingRecord, UnitOfWork
from models.services.clock import aware_utc, naive_utc, utcnow
from models.services.errors import Conflict, Unprocessable

PEAKS_DUE = "peaks_due"  # in the counts: queue the grid's peak evaluation


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
    frame = [(line["prosumer_id"], line["produced_wh"], line["consumed_wh"]) for line in lines]
    return upsert_timeframes(uow, grid, {start: frame}, known=known)


def upsert_timeframes(
    uow: UnitOfWork,
    grid: GridRecord,
    frames: Mapping[datetime, Sequence[ReadingLine]],
    *,
    known: Mapping[str, tuple[str, bool]] | None = None,
) -> dict[str, int]:
    """The metering path for one or many timeframes (HTTP, MQTT, the simulation), in one
    transaction, all or nothing: 422 for a start off the boundary, bad energy or a prosumer
    that is unknown, inactive, of another grid or twice in a timeframe; 409 when a closing or
    closed timeframe's readings would change. Counts inserted, updated and unchanged; a write
    that changed readings of a grid with communities marks its timeframes for peak evaluation
    in the same transaction, and `PEAKS_DUE` in the counts asks the caller to queue the task
    (`peaks.queue_evaluation`, after the commit)."""
    starts = {check_start(grid, at): lines for at, lines in frames.items()}  # aware: distinct
    for at, lines in starts.items():
        _check_lines(lines, _where(at, len(starts)))
    uow.registry.lock_grid(grid.id)
    _check_prosumers(uow, grid.id, starts, known)
    unchanged = _frozen_unchanged(uow, grid.id, starts)
    total = sum(map(len, starts.values()))
    now = utcnow()
    inserted, updated = uow.registry.upsert_readings(grid.id, now, starts)
    due = bool(inserted or updated) and uow.communities.mark_pending(grid.id, list(starts), now)
    uow.commit()
    counts = {
        "inserted": inserted,
        "updated": updated,
        "unchanged": unchanged + total - inserted - updated,
    }
    if due:  # the caller queues the peak evaluation (peaks.queue_evaluation)
        counts[PEAKS_DUE] = 1
    return counts


def _where(at: datetime, frames: int) -> str:
    """How an error names its timeframe: not at all when the call has one."""
    return "" if frames == 1 else f"timeframe {format_instant(aware_utc(at))}: "


def _check_lines(lines: Sequence[ReadingLine], where: str) -> None:
    """check_energy's rule on lines: C-level passes per column; the slow search for the line
    to name only when one is wrong."""
    for column in (1, 2):
        values = list(map(itemgetter(column), lines))
        if values and (set(map(type, values)) != {int} or min(values) < 0 or max(values) > MAX_WH):
            _name_the_line(lines, where)


def _name_the_line(lines: Sequence[ReadingLine], where: str) -> None:
    for index, (_, produced, consumed) in enumerate(lines):
        if not (
            type(produced) is int
            and type(consumed) is int
            and 0 <= produced <= MAX_WH
            and 0 <= consumed <= MAX_WH
        ):
            line = {"produced_wh": produced, "consumed_wh": consumed}
            try:
                check_energy([line])
            except Unprocessable as exc:
                named = cast("dict[str, Any]", exc.extra["errors"])
                errors = {
                    key.replace("readings.0.", f"readings.{index}."): value
                    for key, value in named.items()
                }
                detail = exc.detail.replace("readings[0]", f"readings[{index}]")
                raise Unprocessable(where + detail, errors=errors) from None


def _frozen_unchanged(
    uow: UnitOfWork, grid_id: str, starts: dict[datetime, Sequence[ReadingLine]]
) -> int:
    """Take closing/closed timeframes out of `starts`: 409 if any of their readings would
    change, else count their lines as unchanged."""
    frozen = _frozen(uow, grid_id, list(starts))
    unchanged = 0
    for at, status in frozen.items():
        lines = starts.pop(at)
        existing = uow.registry.readings_at(grid_id, at)
        count = sum(existing.get(pid) != (produced, consumed) for pid, produced, consumed in lines)
        if count:
            raise Conflict(
                f"timeframe {format_instant(aware_utc(at))} is {status}; its readings "
                f"are immutable ({count} reading(s) would change)"
            )
        unchanged += len(lines)
    return unchanged


def _frozen(uow: UnitOfWork, grid_id: str, starts: list[datetime]) -> dict[datetime, str]:
    """The status of each of `starts` that is closing or closed."""
    if not starts:
        return {}
    wanted = set(starts)
    low, high = min(starts), max(starts) + timedelta(microseconds=1)
    return {
        at: status
        for status in ("closing", "closed")
        for at in uow.registry.timeframes_with_status(grid_id, status, low, high)
        if at in wanted
    }


def _check_prosumers(
    uow: UnitOfWork,
    grid_id: str,
    starts: Mapping[datetime, Sequence[ReadingLine]],
    known: Mapping[str, tuple[str, bool]] | None,
) -> None:
    frames = {at: [line[0] for line in lines] for at, lines in starts.items()}
    if known is None:
        known = uow.registry.prosumer_grids(list(set().union(*frames.values())))
    valid = {pid for pid, (grid, active) in known.items() if grid == grid_id and active}
    for at, ids in frames.items():
        if len(set(ids)) != len(ids) or not valid.issuperset(ids):
            _name_the_prosumer(grid_id, ids, known, _where(at, len(frames)))


def _name_the_prosumer(
    grid_id: str, ids: list[str], known: Mapping[str, tuple[str, bool]], where: str
) -> None:
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
                f"{where}readings[{index}].prosumer_id {pid} {reason}",
                errors={f"readings.{index}.prosumer_id": [reason]},
            )
        seen.add(pid)


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
