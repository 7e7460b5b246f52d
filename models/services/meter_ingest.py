"""Meter readings arriving in batches (MQTT): the metering use case per message, written per
timeframe in one step, each message answered on its own (accepted, or the problem)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from models.ports import Stores
from models.services import metering, peaks
from models.services.errors import DomainError, NotFound, Unprocessable


def readings_topic(grid_id: str, prosumer_id: str) -> str:
    """Where a meter publishes its readings."""
    return f"minigrid/{grid_id}/meters/{prosumer_id}/readings"


@dataclass(frozen=True)
class MeterReading:
    """One meter's reading for the timeframe starting at `start` (aware UTC)."""

    key: Hashable  # the caller's handle on the message
    grid_id: str
    prosumer_id: str
    start: datetime
    produced_wh: int
    consumed_wh: int


@dataclass
class Outcome:
    """What a batch did: refused messages with their problem, and the upsert counts."""

    refused: dict[Hashable, DomainError] = field(default_factory=dict)
    counts: dict[str, int] = field(
        default_factory=lambda: {"inserted": 0, "updated": 0, "unchanged": 0}
    )

    def add(self, counts: dict[str, int]) -> None:
        for name, value in counts.items():
            self.counts[name] += value


def ingest(container: Stores, readings: Sequence[MeterReading]) -> Outcome:
    """Write a batch through `metering.upsert_readings`, one unit of work per (grid, timeframe);
    a timeframe the use case refuses is retried message by message so only the refused ones
    are answered with its problem. A later message for the same meter and timeframe wins."""
    outcome = Outcome()
    latest: dict[tuple[str, datetime, str], MeterReading] = {}
    for reading in readings:
        latest[(reading.grid_id, reading.start, reading.prosumer_id)] = reading
    groups: dict[tuple[str, datetime], list[MeterReading]] = defaultdict(list)
    for (grid_id, start, _), reading in latest.items():
        groups[(grid_id, start)].append(reading)
    for (grid_id, start), group in groups.items():
        try:
            outcome.add(_upsert(container, grid_id, start, group, outcome))
        except DomainError:
            for reading in group:
                if reading.key in outcome.refused:
                    continue
                try:
                    outcome.add(_upsert(container, grid_id, start, [reading], outcome))
                except DomainError as exc:
                    outcome.refused[reading.key] = exc
    return outcome


def _upsert(
    container: Stores,
    grid_id: str,
    start: datetime,
    group: Sequence[MeterReading],
    outcome: Outcome,
) -> dict[str, int]:
    """One timeframe's readings in one unit of work: each meter checked (a refused one goes to
    `outcome.refused` as the HTTP API would answer it), the others upserted together."""
    with container.uow() as uow:
        known = uow.registry.prosumer_grids(sorted({r.prosumer_id for r in group}))
        accepted = []
        for reading in group:
            try:
                _check(reading, known.get(reading.prosumer_id))
            except DomainError as exc:
                outcome.refused[reading.key] = exc
                continue
            accepted.append(reading)
        if not accepted:
            return {}
        grid = uow.registry.grid(grid_id)
        if grid is None:
            raise NotFound(f"grid {grid_id} does not exist")
        lines: list[dict[str, Any]] = [
            {
                "prosumer_id": r.prosumer_id,
                "produced_wh": r.produced_wh,
                "consumed_wh": r.consumed_wh,
            }
            for r in accepted
        ]
        counts = metering.upsert_readings(uow, grid, start, lines, known=known)
    peaks.queue_evaluation(container, grid_id, counts)  # peaks: the worker's task
    return counts


def _check(reading: MeterReading, grid_and_active: tuple[str, bool] | None) -> None:
    if grid_and_active is None:
        raise NotFound(f"prosumer {reading.prosumer_id} does not exist")
    grid_id, active = grid_and_active
    if grid_id != reading.grid_id:
        raise Unprocessable(
            f"prosumer {reading.prosumer_id} belongs to another grid than {reading.grid_id}",
            errors={"topic": ["the prosumer is not in this grid"]},
        )
    if not active:
        raise Unprocessable(
            f"prosumer {reading.prosumer_id} is inactive",
            errors={"prosumer_id": ["is inactive"]},
        )
    line = {"produced_wh": reading.produced_wh, "consumed_wh": reading.consumed_wh}
    try:
        metering.check_energy([line])
    except Unprocessable as exc:
        errors = cast("dict[str, Any]", exc.extra["errors"])
        raise Unprocessable(
            exc.detail.removeprefix("readings[0]."),
            errors={k.removeprefix("readings.0."): v for k, v in errors.items()},
        ) from None
