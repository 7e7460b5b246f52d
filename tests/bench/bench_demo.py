"""The demo grid's build over 30 days (40 prosumers, 15-minute timeframes): the registry, the
simulation written through metering (batched), and closing batched (`close_range`) against one
timeframe per call (`close_due`) on the same readings.

Run alone: `.venv/bin/python -m tests.bench.bench_demo`. Prints numbers, asserts no speed.
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DAYS = 30


def run(container: Any) -> dict[str, Any]:
    """Two demo builds on `container`'s stores; seconds per step and the rates."""
    from models.domain.timeframes import floor_timeframe
    from models.services.clock import aware_utc, utcnow
    from models.services.closing import close_due
    from models.services.closing_batch import close_range
    from models.services.demo import build_demo, demo_size, purge_grid
    from models.services.demo_grid import SEED
    from models.services.simulation import simulate_grid

    wallets = ["0x" + f"{n:040x}" for n in range(1, demo_size() + 1)]
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
    return rows


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
        for key, value in run(container).items():
            print(
                f"  {key:<28} {value:,.3f}"
                if isinstance(value, float)
                else f"  {key:<28} {value:,}"
            )
        container.close()


if __name__ == "__main__":
    main()
