"""Simulating a grid: registry -> physics -> readings through the metering path, flows stored.

What the meter sees: a reading is the grid connection's meter, so `produced_wh` is the energy
the house sold to the grid and `consumed_wh` the energy it bought (after its own use and its
battery); netting and clearing are therefore battery-aware. The full picture (production,
consumption, own use, battery in and out, losses, stored energy) is kept per prosumer and
timeframe in the document store's flows.

Every active prosumer gets a reading for every timeframe (zeros included). The run goes in
chunks of timeframes; each chunk's batteries start where the previous one ended, and a run's
first timeframe starts from the stored flows of the timeframe just before it (else the
batteries' `initial_soc`), so the same seed and inputs give the same numbers whatever the
chunking, and a second identical run reports every reading `unchanged`. Closed (or closing)
timeframes are checked before anything is written: if a reading there would change, the run
is refused (409) and nothing is written.

Writes: every WRITE_CELLS readings are one call of metering's `upsert_timeframes` (the path of
the HTTP and MQTT readings: same checks, counts and 409, one transaction, set-based SQL); the
same timeframes' flows then go to the document store in bulk from a `FlowsWriter` thread
while the next batch's readings are written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, islice, repeat
from typing import Any

from models.domain.physics.fleet import columns, run, totals
from models.domain.physics.timeline import Timeline
from models.domain.timeframes import format_instant
from models.ports import GridRecord, Stores
from models.services.clock import aware_utc, naive_utc
from models.services.closing import close_due
from models.services.errors import Conflict, Unprocessable, found
from models.services.flows_writer import FlowsWriter
from models.services.metering import check_start, upsert_timeframes
from models.services.simulation_inputs import Fleet, load_fleet
from models.services.weather import grid_weather

MAX_DAYS = 400
CHUNK_CELLS = 2_000_000  # prosumer-timeframes computed at once (bounds memory)
WRITE_CELLS = 100_000  # readings per metering transaction (and flows per bulk write)
Progress = Callable[[int, int], object]


@dataclass(frozen=True)
class Run:
    """One simulation's fixed inputs."""

    grid: GridRecord
    fleet: Fleet
    start: datetime  # naive UTC
    count: int
    seed: int

    @property
    def step(self) -> timedelta:
        return timedelta(minutes=self.grid.timeframe_minutes)

    def at(self, index: int) -> datetime:
        return self.start + index * self.step

    def chunks(self) -> Iterator[tuple[int, int]]:
        """(first index, count) of consecutive chunks covering the run."""
        size = max(1, CHUNK_CELLS // max(1, len(self.fleet.prosumer_ids)))
        for first in range(0, self.count, size):
            yield first, min(size, self.count - first)


def simulate_grid(
    stores: Stores,
    grid_id: str,
    start: datetime,
    end: datetime,
    *,
    seed: int = 0,
    close: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Simulate [start, end) of the grid, write readings and flows; close it if asked."""
    plan = _plan(stores, grid_id, start, end, seed)
    if _frozen(stores, plan):
        _refuse_changes_to_frozen(stores, plan)
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    energy = dict.fromkeys(ENERGY, 0)
    measured = 0
    with FlowsWriter(stores.documents.flows) as writer:
        for chunk in _computed(stores, plan):
            measured += chunk.measured
            _write(stores, plan, chunk, counts, progress, writer)
            for name in ENERGY:
                energy[name] += chunk.totals[name]
    end = aware_utc(plan.at(plan.count))
    closed = close_due(stores, grid_id, end, since=aware_utc(plan.start)) if close else []
    return {
        "grid_id": grid_id,
        "from": format_instant(aware_utc(plan.start)),
        "to": format_instant(aware_utc(plan.at(plan.count))),
        "seed": seed,
        "timeframes": plan.count,
        "prosumers": len(plan.fleet.prosumer_ids),
        "readings": counts,
        "energy": energy,
        "weather": {"measured_timeframes": measured, "synthetic_timeframes": plan.count - measured},
        "closed_timeframes": len(closed),
    }


def check_simulation(
    stores: Stores, grid_id: str, start: datetime, end: datetime, seed: int
) -> None:
    """404/422 now for what a simulation would refuse at its start (before a background run)."""
    _plan(stores, grid_id, start, end, seed)


def computed(
    stores: Stores, grid_id: str, start: datetime, end: datetime, seed: int = 0
) -> Iterator[Chunk]:
    """The run's computed chunks without writing anything (what `make bench` times as compute)."""
    return _computed(stores, _plan(stores, grid_id, start, end, seed))


def _plan(stores: Stores, grid_id: str, start: datetime, end: datetime, seed: int) -> Run:
    """The run's inputs, or 404/422 naming what is wrong."""
    if seed < 0:
        raise Unprocessable(f"seed must be >= 0, got {seed}", errors={"seed": ["must be >= 0"]})
    with stores.uow(write=False) as uow:
        grid = found(uow.registry.grid(grid_id), "grid", grid_id)
        at = check_start(grid, start)
        until = _check_end(grid, at, end)
        if grid.latitude is None or grid.longitude is None:
            raise Unprocessable(
                f"grid {grid_id} has no latitude/longitude: set them (PATCH the grid) so the "
                "sun's position can be computed",
                errors={"latitude": ["required for a simulation"]},
            )
        fleet = load_fleet(uow, grid_id)
    count = int((until - at) / timedelta(minutes=grid.timeframe_minutes))
    return Run(grid, fleet, at, count, seed)


def _check_end(grid: GridRecord, at: datetime, end: datetime) -> datetime:
    until = naive_utc(end)
    minutes = grid.timeframe_minutes
    if until <= at or (until - at) % timedelta(minutes=minutes):
        raise Unprocessable(
            f"to {format_instant(aware_utc(until))} must be after from and a whole number of "
            f"{minutes}-minute timeframes later",
            errors={"to": ["not a timeframe boundary after from"]},
        )
    if until - at > timedelta(days=MAX_DAYS):
        raise Unprocessable(
            f"a simulation covers at most {MAX_DAYS} days; split the range",
            errors={"to": [f"more than {MAX_DAYS} days after from"]},
        )
    return until


@dataclass(frozen=True)
class Chunk:
    """Consecutive timeframes computed together."""

    first: int  # index of its first timeframe in the run
    frames: Iterator[list[list[int]]]  # per timeframe: fleet.ROW columns, then capacities
    totals: dict[str, int]  # the chunk's energy sums (ENERGY)
    measured: int  # timeframes on measured weather


ENERGY = ("produced_wh", "consumed_wh", "sold_wh", "bought_wh", "losses_wh")
BOUGHT, SOLD = 5, 6  # columns of a frame (fleet.ROW): the meter's consumed_wh and produced_wh


def _computed(stores: Stores, plan: Run) -> Iterator[Chunk]:
    """The run's chunks, each battery starting where the previous chunk left it."""
    levels = _levels_before(stores, plan)
    for first, frames in plan.chunks():
        timeline = Timeline(
            aware_utc(plan.at(first)), plan.grid.timeframe_minutes, frames, _tz(plan)
        )
        weather, measured = grid_weather(stores, plan.grid, timeline, plan.seed)
        flows = run(
            plan.fleet.households,
            plan.fleet.members,
            weather,
            timeline,
            plan.seed,
            levels,
            plan.fleet.paused,
        )
        levels = [int(v) for v in flows.stored_wh[:, -1]]
        yield Chunk(first, columns(flows), totals(flows), measured)


def _tz(plan: Run) -> str:
    return plan.grid.timezone


def _levels_before(stores: Stores, plan: Run) -> list[int | None]:
    """Each battery's stored energy after the timeframe before the run, if it was simulated."""
    before = stores.documents.flows.at(plan.grid.id, _iso(plan.start - plan.step))
    return [before[pid]["stored_wh"] if pid in before else None for pid in plan.fleet.prosumer_ids]


def _iso(at: datetime) -> str:
    return format_instant(aware_utc(at))


def _frozen(stores: Stores, plan: Run) -> set[datetime]:
    """Closed or closing timeframes inside the run."""
    end = plan.at(plan.count)
    with stores.uow(write=False) as uow:
        return {
            at
            for status in ("closed", "closing")
            for at in uow.registry.timeframes_with_status(plan.grid.id, status, plan.start, end)
        }


def _refuse_changes_to_frozen(stores: Stores, plan: Run) -> None:
    """409 before any write when a frozen timeframe's readings would change."""
    frozen = _frozen(stores, plan)
    ids = plan.fleet.prosumer_ids
    for chunk in _computed(stores, plan):
        for offset, frame in enumerate(chunk.frames):
            at = plan.at(chunk.first + offset)
            if at not in frozen:
                continue
            with stores.uow(write=False) as uow:
                stored = uow.registry.readings_at(plan.grid.id, at)
            meters = zip(ids, zip(frame[SOLD], frame[BOUGHT], strict=True), strict=True)
            changed = sum(stored.get(pid) != meter for pid, meter in meters)
            if changed:
                raise Conflict(
                    f"timeframe {_iso(at)} is closed; its readings are immutable ({changed} "
                    "reading(s) would change); nothing was written"
                )


def _write(
    stores: Stores,
    plan: Run,
    chunk: Chunk,
    counts: dict[str, int],
    progress: Progress | None,
    writer: FlowsWriter,
) -> None:
    """Per WRITE_CELLS readings: one call of metering's upsert_timeframes (one transaction),
    then the same timeframes' flows handed to the writer (written while the next batch runs)."""
    ids, grid = plan.fleet.prosumer_ids, plan.grid
    per_call = max(1, WRITE_CELLS // max(1, len(ids)))
    frames = enumerate(chunk.frames, chunk.first)
    while batch := list(islice(frames, per_call)):
        readings = {
            aware_utc(plan.at(index)): list(zip(ids, frame[SOLD], frame[BOUGHT], strict=True))
            for index, frame in batch
        }
        with stores.uow() as uow:
            for key, n in upsert_timeframes(uow, grid, readings).items():
                counts[key] += n
        writer.submit(
            list(
                chain.from_iterable(
                    zip(repeat(grid.id), ids, repeat(_iso(plan.at(index))), *frame)
                    for index, frame in batch
                )
            )
        )
        if progress:
            progress(batch[-1][0] + 1, plan.count)
