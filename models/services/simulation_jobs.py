"""Simulations started over the API: checked now, run in the background, status recorded.

A run's id derives from its inputs (grid, range, seed, close), so posting the same run while
it is queued or running answers that run; posting it again later runs it again, which changes
nothing (the simulation is idempotent). The run is the task `simulation.run` of the task queue,
done by a worker process (`flask worker`); a worker killed mid-run leaves it to the next one,
which simulates the range again (same readings, `unchanged`).
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

from models.domain.timeframes import format_instant, parse_instant
from models.ports import Stores
from models.services.clock import aware_utc, utcnow
from models.services.errors import DomainError, NotFound
from models.services.simulation import check_simulation, simulate_grid
from models.services.tasks import task

log = logging.getLogger("minigrid.simulation")
SIMULATIONS = "simulations"
RUN_TASK = "simulation.run"
ACTIVE = ("queued", "running")
PROGRESS_EVERY_S = 1.0
_NAMESPACE = uuid.UUID("6f1d2c1e-3b8a-4f53-9c2e-5a7d0e4b8c11")


def simulation_id(grid_id: str, start: datetime, end: datetime, seed: int, close: bool) -> str:
    key = f"{grid_id}|{format_instant(start)}|{format_instant(end)}|{seed}|{close}"
    return str(uuid.uuid5(_NAMESPACE, key))


def start_simulation(
    stores: Stores, grid_id: str, start: datetime, end: datetime, *, seed: int, close: bool
) -> tuple[dict[str, Any], bool]:
    """Check the run (404/422 now), record it and launch it; (its record, whether started)."""
    check_simulation(stores, grid_id, start, end, seed)
    sim_id = simulation_id(grid_id, start, end, seed, close)
    runs = stores.documents.collection(SIMULATIONS)
    existing = runs.get(sim_id)
    if existing is not None and existing["status"] in ACTIVE:
        return _view(existing), False
    now = format_instant(aware_utc(utcnow()))
    record = {
        "id": sim_id,
        "grid_id": grid_id,
        "from": format_instant(start),
        "to": format_instant(end),
        "seed": seed,
        "close": close,
        "status": "queued",
        "done": 0,
        "total": 0,
        "summary": None,
        "error": None,
        "created_at": now,
        "updated_at": now,
    }
    runs.put(sim_id, record)
    try:
        stores.tasks.enqueue(RUN_TASK, sim_id=sim_id)
    except Exception:  # not queued: a new POST may start it again
        _set(stores, sim_id, status="failed", error={"status": 503, "detail": "not queued"})
        raise
    return _view(record), True


@task(RUN_TASK)
def run_simulation(stores: Stores, sim_id: str) -> None:
    """The worker's task: run the recorded simulation, record progress, result or failure."""
    runs = stores.documents.collection(SIMULATIONS)
    record = runs.get(sim_id)
    if record is None:
        return
    _set(stores, sim_id, status="running")
    try:
        summary = simulate_grid(
            stores,
            record["grid_id"],
            parse_instant(record["from"]),
            parse_instant(record["to"]),
            seed=record["seed"],
            close=record["close"],
            progress=_progress(stores, sim_id),
        )
        _set(stores, sim_id, status="succeeded", summary=summary)
    except DomainError as exc:
        _set(stores, sim_id, status="failed", error={"status": exc.status, "detail": exc.detail})
    except Exception:  # recorded on the run (an internal error is not retried)
        log.exception("simulation %s stopped", sim_id)
        error = {"status": 500, "detail": "the simulation stopped on an internal error"}
        _set(stores, sim_id, status="failed", error=error)


def _progress(stores: Stores, sim_id: str) -> Callable[[int, int], None]:
    last = [0.0]

    def record(done: int, total: int) -> None:
        now = time.monotonic()
        if done == total or now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            _set(stores, sim_id, done=done, total=total)

    return record


def _set(stores: Stores, sim_id: str, **changes: Any) -> None:
    changes["updated_at"] = format_instant(aware_utc(utcnow()))
    stores.documents.collection(SIMULATIONS).update(sim_id, changes)


def simulation_status(stores: Stores, grid_id: str, sim_id: str) -> dict[str, Any]:
    """A simulation's record, 404 when the grid has no such run."""
    record = stores.documents.collection(SIMULATIONS).get(sim_id)
    if record is None or record["grid_id"] != grid_id:
        raise NotFound(f"simulation {sim_id} not found in grid {grid_id}")
    return _view(record)


def _view(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if k != "_id"}
