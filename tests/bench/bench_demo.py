"""The demo grid's build (40 prosumers, 15-minute timeframes):

- late in a month: `build_demo` over 60 days (what it simulates and closes on the last day of
  a 31-day month after a 30-day one), seconds per phase of the simulation and of the batched
  close (each phase's functions timed in place);
- 30 days closed batched (`close_range`) against one timeframe per call (`close_due`) on the
  same readings;
- 7 days of the demo grid split into four communities (peaks evaluated after each timeframe,
  demand response on): the simulation written in batches against one timeframe per call (on
  two grids: demand response pauses equal loads by asset id, so their commands may differ).

Run alone: `.venv/bin/python -m tests.bench.bench_demo`. Prints numbers, asserts no speed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

LATE_DAYS = 60  # a demo build late in a month
DAYS = 30  # batched against one per call
COMMUNITY_DAYS = 7
COMMUNITIES = 4
TENTH = Decimal("0.1")


@contextmanager
def timed(owner: Any, name: str, label: str, times: Counter[str]) -> Iterator[None]:
    """Add the seconds spent in `owner.name` to `times[label]` (and this thread's CPU seconds
    to `times[label + ", CPU"]`) while inside."""
    original = getattr(owner, name)

    @wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        began, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            times[label] += time.perf_counter() - began
            times[f"{label}, CPU"] += time.thread_time() - cpu

    setattr(owner, name, wrapper)
    try:
        yield
    finally:
        setattr(owner, name, original)


def phases(container: Any, times: Counter[str]) -> ExitStack:
    """Time the simulation's and the batched close's phases into `times`."""
    from models.services import closing_batch, demo, simulation

    docs = container.documents
    stack = ExitStack()
    for owner, name, label in (
        (demo, "simulate_grid", "simulate (compute, write readings, hand flows over)"),
        (simulation, "upsert_timeframes", "  metering writes (readings)"),
        (docs.flows, "upsert_rows", "  flows written (the writer's thread, alongside)"),
        (demo, "close_range", "close, batched"),
        (closing_batch, "_begin", "  1 record `closing`, read readings"),
        (closing_batch, "snapshot_groups", "  2 communities (members, rules)"),
        (closing_batch, "snapshot_of", "  2 netting (snapshots, community sums)"),
        (closing_batch, "_with_plant", "  2 the plant's part"),
        (docs.snapshots, "save_many", "  2 store snapshots"),
        (docs.plant_imports, "save_timeframes", "  2 store plant imports"),
        (closing_batch, "_record_terms", "  3 store clearing terms"),
        (closing_batch, "cleared", "  3 clearing (trades)"),
        (docs.transactions, "save_timeframes", "  3 store trades"),
        (closing_batch, "_finish", "  4 fills, `closed`, hashes, events"),
    ):
        times[label] = times[f"{label}, CPU"] = 0.0  # printed in this order
        stack.enter_context(timed(owner, name, label, times))
    return stack


def late_month(container: Any, wallets: list[str]) -> dict[str, Any]:
    """A 60-day `build_demo`, its phases timed; the grid is purged afterwards."""
    from models.domain.timeframes import floor_timeframe
    from models.services.clock import aware_utc, utcnow
    from models.services.demo import build_demo, purge_grid

    until = floor_timeframe(aware_utc(utcnow()), 15)
    times: Counter[str] = Counter()
    began, cpu = time.perf_counter(), time.process_time()
    with phases(container, times):
        report = build_demo(container, wallets, since=until - timedelta(days=LATE_DAYS))
    total, cpu = time.perf_counter() - began, time.process_time() - cpu
    purge_grid(container, report.grid_id)
    rows: dict[str, Any] = {f"late month: {LATE_DAYS}-day build_demo s": total}
    rows["  CPU seconds of this process (all threads)"] = cpu
    rows["  timeframes simulated and closed"] = f"{report.simulated:,} and {report.closed:,}"
    rows["  registry (grid, prosumers, assets) s"] = total - sum(
        v for k, v in times.items() if not k.startswith(" ") and not k.endswith("CPU")
    )
    rows.update(
        (f"{k} s (thread CPU s)", (v, times[f"{k}, CPU"]))
        for k, v in times.items()
        if not k.endswith(", CPU")
    )
    return rows


def batched_against_one_per_call(container: Any, wallets: list[str]) -> dict[str, Any]:
    """30 days closed batched and one per call (each on a fresh demo grid's readings)."""
    from models.domain.timeframes import floor_timeframe
    from models.services.clock import aware_utc, utcnow
    from models.services.closing import close_due
    from models.services.closing_batch import close_range
    from models.services.demo import build_demo, purge_grid
    from models.services.demo_grid import SEED
    from models.services.simulation import simulate_grid

    until = floor_timeframe(aware_utc(utcnow()), 15)
    start = until - timedelta(days=DAYS)
    rows: dict[str, Any] = {}
    for closer, name in ((close_range, "batched"), (close_due, "one per call")):
        began = time.perf_counter()
        grid_id = build_demo(container, wallets, since=until).grid_id  # the registry only
        rows["registry_s"] = time.perf_counter() - began
        began = time.perf_counter()
        summary = simulate_grid(container, grid_id, start, until, seed=SEED)
        rows["simulate_and_write_s"] = time.perf_counter() - began
        began = time.perf_counter()
        if closer is close_due:
            closed = close_due(container, grid_id, until, since=start)
        else:
            closed = close_range(container, grid_id, start, until)
        rows[f"close_{name.replace(' ', '_')}_s"] = time.perf_counter() - began
        purge_grid(container, grid_id)
    rows["timeframes"] = len(closed)
    rows["readings"] = summary["readings"]["inserted"]
    rows["readings_per_s"] = int(rows["readings"] / rows["simulate_and_write_s"])
    rows["closes_per_s_batched"] = int(len(closed) / rows["close_batched_s"])
    rows["closes_per_s_one_per_call"] = int(len(closed) / rows["close_one_per_call_s"])
    return {f"{DAYS} days: {k}": v for k, v in rows.items()}


def with_communities(container: Any, wallets: list[str]) -> dict[str, Any]:
    """7 days of the demo grid in four communities, simulated batched and one per call."""
    from models.domain.timeframes import floor_timeframe
    from models.services import simulation
    from models.services.clock import aware_utc, utcnow
    from models.services.demo import build_demo, purge_grid
    from models.services.demo_grid import SEED

    until = floor_timeframe(aware_utc(utcnow()), 15)
    start = until - timedelta(days=COMMUNITY_DAYS)
    rows: dict[str, Any] = {}
    for cells, name in ((simulation.EVALUATE_CELLS, "batched"), (1, "one per call")):
        grid_id = build_demo(container, wallets, since=until).grid_id  # the registry only
        _communities(container, grid_id)
        saved, simulation.EVALUATE_CELLS = simulation.EVALUATE_CELLS, cells
        try:
            began = time.perf_counter()
            summary = simulation.simulate_grid(container, grid_id, start, until, seed=SEED)
            rows[f"simulate, {name} s"] = time.perf_counter() - began
        finally:
            simulation.EVALUATE_CELLS = saved
        rows[f"  device commands ({name})"] = _commands(container, grid_id)
        if name == "batched":
            rows.update(_closed_then_evaluated(container, grid_id, start, until))
        purge_grid(container, grid_id)
    rows["  readings"] = summary["readings"]["inserted"]
    return {f"communities, {COMMUNITY_DAYS} days: {k}": v for k, v in rows.items()}


def _closed_then_evaluated(container: Any, grid_id: str, start: Any, until: Any) -> dict[str, Any]:
    """The days closed batched (the closes only mark their timeframes), then the marks
    evaluated as the worker's `peaks.evaluate` task does, on the snapshots' totals."""
    from models.services.closing_batch import close_range
    from models.services.peaks import evaluate_pending

    began = time.perf_counter()
    closed = close_range(container, grid_id, start, until)
    rows: dict[str, Any] = {"  close, batched (marks only) s": time.perf_counter() - began}
    began = time.perf_counter()
    evaluated = evaluate_pending(container, grid_id)
    while _marked(container, grid_id):  # a task run stops after ROUNDS marks: the next one
        evaluated = evaluated.plus(evaluate_pending(container, grid_id))
    rows[f"  then the worker evaluates the {len(closed)} closes s"] = time.perf_counter() - began
    rows["  closes that changed a community, commands"] = (
        f"{evaluated.changed}, {evaluated.commands}"
    )
    return rows


def _marked(container: Any, grid_id: str) -> bool:
    with container.uow(write=False) as uow:
        return bool(uow.communities.pending(grid_id, 1))


def _communities(container: Any, grid_id: str) -> None:
    """Split the grid's prosumers over four communities whose peaks the evening load passes."""
    from models.services.communities import create_community

    with container.uow() as uow:
        ids = [
            create_community(
                uow,
                grid_id,
                {
                    "name": f"street {n}",
                    "peak_threshold_w": 25_000,
                    "peak_hysteresis": Decimal("0.1"),
                },
            ).id
            for n in range(COMMUNITIES)
        ]
    with container.uow() as uow:
        for n, prosumer in enumerate(uow.registry.active_prosumers(grid_id)):
            prosumer.community_id = ids[n % COMMUNITIES]
        uow.commit()


def _commands(container: Any, grid_id: str) -> int:
    with container.uow(write=False) as uow:
        return len(uow.communities.command_history(grid_id))


def run(container: Any) -> dict[str, Any]:
    """The three measurements on `container`'s stores."""
    from models.services.demo import demo_size

    wallets = ["0x" + f"{n:040x}" for n in range(1, demo_size() + 1)]
    rows = {
        **late_month(container, wallets),
        **with_communities(container, wallets),
        **batched_against_one_per_call(container, wallets),
    }
    return {k: shown(v) if isinstance(v, tuple) else v for k, v in rows.items()}


def shown(value: Any) -> str:
    """A number as the bench prints it (a pair: wall seconds, then CPU seconds)."""
    if isinstance(value, tuple):
        return f"{value[0]:,.3f} ({value[1]:,.3f})"
    if isinstance(value, float):
        return f"{value:,.3f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def main() -> None:
    from api import create_app
    from migrations.runner import upgrade

    with tempfile.TemporaryDirectory(prefix="minigrid-bench-demo-") as name:
        tmp = Path(name)
        upgrade(f"sqlite:///{tmp / 'minigrid.db'}")
        app = create_app(
            {
                "DATABASE_URL": f"sqlite:///{tmp / 'minigrid.db'}",
                "MONGO_URL": f"sqlite:///{tmp / 'documents.db'}",
                "QUEUE_URL": f"sqlite:///{tmp / 'queue.db'}",
                "LEDGER_URL": "eth-tester://",
                "LOG_LEVEL": "WARNING",
            }
        )
        container = app.extensions["minigrid"]
        only = sys.argv[1] if len(sys.argv) > 1 else ""
        from models.services.demo import demo_size

        wallets = ["0x" + f"{n:040x}" for n in range(1, demo_size() + 1)]
        chosen = {
            "late": late_month,
            "communities": with_communities,
            "batched": batched_against_one_per_call,
        }
        rows: dict[str, Any] = {}
        for key, measure in chosen.items():
            if not only or only == key:
                rows.update(measure(container, wallets))
        for key, value in rows.items():
            print(f"  {key:<64} {shown(value)}")
        container.close()


if __name__ == "__main__":
    main()
