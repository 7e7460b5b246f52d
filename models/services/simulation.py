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

`via` a message bus (`flask simulate --via mqtt`), the readings are not written here: each
house's meter publishes its reading to `minigrid/{grid}/meters/{prosumer}/readings` as a real
meter does, the meter ingest writes it, and the run waits (up to `ingest_wait_s`) until the
registry holds every published reading before it closes anything: the whole path, meter ->
broker -> ingest -> store -> close -> events, in one run.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.domain.physics.fleet import capacities, rows, run
from models.domain.physics.timeline import Timeline
from models.domain.timeframes import format_instant
from models.ports import GridRecord, MessageBus, Stores
from models.services.clock import aware_utc, naive_utc
from models.services.closing import close_due
from models.services.errors import Conflict, Unavailable, Unprocessable, found
from models.services.meter_ingest import readings_topic
from models.services.metering import check_start, upsert_readings_many
from models.services.simulation_inputs import Fleet, load_fleet
from models.services.weather import grid_weather

MAX_DAYS = 400
CHUNK_CELLS = 2_000_000  # prosumer-timeframes computed at once (bounds memory)
WRITE_READINGS = 20_000  # readings written per transaction (whole timeframes)
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
    via: MessageBus | None = None,
    ingest_wait_s: float = 120.0,
) -> dict[str, Any]:
    """Simulate [start, end) of the grid, write (or publish `via`) readings and store flows;
    close it if asked."""
    plan = _plan(stores, grid_id, start, end, seed)
    if _frozen(stores, plan):
        _refuse_changes_to_frozen(stores, plan)
    counts = {"inserted": 0, "updated": 0, "unchanged": 0}
    totals = {"produced_wh": 0, "consumed_wh": 0, "sold_wh": 0, "bought_wh": 0, "losses_wh": 0}
    measured, published = 0, 0
    for chunk in _computed(stores, plan):
        measured += chunk.measured
        if via is None:
            _write(stores, plan, chunk, counts, totals, progress)
        else:
            published += _publish(via, stores, plan, chunk, totals, progress)
    if via is not None:
        counts = {
            "published": published,
            "written by the ingest": _await_ingest(stores, plan, ingest_wait_s),
        }
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
        "energy": totals,
        "weather": {"measured_timeframes": measured, "synthetic_timeframes": plan.count - measured},
        "closed_timeframes": len(closed),
    }


def check_simulation(
    stores: Stores, grid_id: str, start: datetime, end: datetime, seed: int
) -> None:
    """404/422 now for what a simulation would refuse at its start (before a background run)."""
    _plan(stores, grid_id, start, end, seed)


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
    rows: Iterator[list[tuple[int, ...]]]  # per timeframe, per prosumer: fleet.ROW values
    capacities: list[int]  # per prosumer, Wh
    measured: int  # timeframes on measured weather


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
        yield Chunk(first, rows(flows), capacities(flows), measured)


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
        for offset, values in enumerate(chunk.rows):
            at = plan.at(chunk.first + offset)
            if at not in frozen:
                continue
            with stores.uow(write=False) as uow:
                stored = uow.registry.readings_at(plan.grid.id, at)
            wanted = {pid: (v[6], v[5]) for pid, v in zip(ids, values, strict=True)}
            changed = sum(stored.get(pid) != meter for pid, meter in wanted.items())
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
    totals: dict[str, int],
    progress: Progress | None,
) -> None:
    """Readings through metering's upsert, then their flows, WRITE_READINGS at most per
    transaction (a timeframe's readings always in the same one)."""
    ids, grid = plan.fleet.prosumer_ids, plan.grid
    per_batch = max(1, WRITE_READINGS // max(1, len(ids)))
    batch: dict[datetime, list[dict[str, Any]]] = {}
    docs: list[dict[str, Any]] = []
    done = chunk.first
    for values in chunk.rows:
        at = aware_utc(plan.at(done))
        done += 1
        batch[at] = [
            {"prosumer_id": pid, "produced_wh": v[6], "consumed_wh": v[5]}
            for pid, v in zip(ids, values, strict=True)
        ]
        docs.extend(_flow_docs(grid.id, format_instant(at), ids, values, chunk.capacities))
        _add_totals(totals, values)
        if len(batch) == per_batch:
            _upsert(stores, plan, batch, docs, counts)
            if progress:
                progress(done, plan.count)
    _upsert(stores, plan, batch, docs, counts)
    if progress:
        progress(done, plan.count)


def _upsert(
    stores: Stores,
    plan: Run,
    batch: dict[datetime, list[dict[str, Any]]],
    docs: list[dict[str, Any]],
    counts: dict[str, int],
) -> None:
    """Write the batch's readings, then its flows; empty both."""
    if batch:
        with stores.uow() as uow:
            for key, n in upsert_readings_many(uow, plan.grid, batch).items():
                counts[key] += n
        stores.documents.flows.upsert(docs)
    batch.clear()
    docs.clear()


FLOW_NAMES = (
    "produced_wh",
    "consumed_wh",
    "own_use_wh",
    "to_battery_wh",
    "from_battery_wh",
    "bought_wh",
    "sold_wh",
    "losses_wh",
    "stored_wh",
)


def _flow_docs(
    grid_id: str, start: str, ids: list[str], values: list[tuple[int, ...]], caps: list[int]
) -> Iterator[dict[str, Any]]:
    for pid, v, cap in zip(ids, values, caps, strict=True):
        yield {
            "grid_id": grid_id,
            "prosumer_id": pid,
            "start": start,
            **dict(zip(FLOW_NAMES, v, strict=True)),
            "capacity_wh": cap,
        }


def _add_totals(totals: dict[str, int], values: list[tuple[int, ...]]) -> None:
    for v in values:
        totals["produced_wh"] += v[0]
        totals["consumed_wh"] += v[1]
        totals["bought_wh"] += v[5]
        totals["sold_wh"] += v[6]
        totals["losses_wh"] += v[7]


def _publish(
    bus: MessageBus,
    stores: Stores,
    plan: Run,
    chunk: Chunk,
    totals: dict[str, int],
    progress: Progress | None,
) -> int:
    """Each meter's reading published (one timeframe at a time), then the chunk's flows."""
    ids, grid_id, count = plan.fleet.prosumer_ids, plan.grid.id, 0
    docs: list[dict[str, Any]] = []
    for offset, values in enumerate(chunk.rows):
        at = _iso(plan.at(chunk.first + offset))
        bus.publish_many(
            [
                (
                    readings_topic(grid_id, pid),
                    {"start": at, "produced_wh": v[6], "consumed_wh": v[5]},
                )
                for pid, v in zip(ids, values, strict=True)
            ]
        )
        count += len(ids)
        docs.extend(_flow_docs(grid_id, at, ids, values, chunk.capacities))
        _add_totals(totals, values)
        if progress:
            progress(chunk.first + offset + 1, plan.count)
    stores.documents.flows.upsert(docs)
    return count


def _await_ingest(stores: Stores, plan: Run, wait_s: float, poll_s: float = 0.1) -> int:
    """Wait until the registry holds every published reading (the flows hold what was sent);
    how many readings that is. Unavailable (503) when the ingest does not get there in time."""
    flows = stores.documents.flows
    deadline, done = time.monotonic() + wait_s, 0
    for index in range(plan.count):
        at = plan.at(index)
        rows = flows.at(plan.grid.id, _iso(at)).items()
        sent = {pid: (row["sold_wh"], row["bought_wh"]) for pid, row in rows}
        while True:
            with stores.uow(write=False) as uow:
                stored = uow.registry.readings_at(plan.grid.id, at)
            if all(stored.get(pid) == meter for pid, meter in sent.items()):
                break
            if time.monotonic() > deadline:
                raise Unavailable(
                    f"the meter ingest wrote {done} of {plan.count * len(sent)} published "
                    f"readings within {wait_s:.0f}s; is `flask ingest-mqtt` running on the "
                    "same broker and stores?"
                )
            time.sleep(poll_s)
        done += len(sent)
    return done
