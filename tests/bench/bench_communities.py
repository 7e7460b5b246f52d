"""Communities: consumption of a 10,000-prosumer grid in 100 communities at a moment while its
timeframe is open (HTTP), what peak evaluation adds to a bulk PUT of 10,000 readings (the write
marks its timeframe and queues the task), and the evaluation task's own time in a worker."""

from __future__ import annotations

import http.client
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from models.domain.timeframes import format_instant
from models.services import peaks
from models.services.clock import naive_utc, utcnow
from models.services.metering import PEAKS_DUE
from models.sql.tables import Community
from tests.bench.bench_api import call
from tests.bench.bench_metering import create_grid, readings, seed_prosumers

PROSUMERS = 10_000
COMMUNITIES = 100
REQUESTS = 100  # consumption reads
ROUNDS = 7  # bulk PUTs per grid, interleaved
MISSES = 20  # consumption reads right after a reading changed
FIRST = datetime(2030, 10, 1, tzinfo=UTC)
STEP = timedelta(minutes=15)


def seed(container: Any, grid_id: str, communities: int) -> list[str]:
    """10,000 prosumers, spread evenly over `communities` (none: no community)."""
    now = utcnow()
    groups = [str(uuid.uuid4()) for _ in range(communities)]
    with container.uow() as uow:
        for n, cid in enumerate(groups):
            uow.registry.add(
                Community(
                    id=cid,
                    grid_id=grid_id,
                    name=f"community {n}",
                    peak_threshold_w=10**9,
                    peak_hysteresis=Decimal("0.1"),
                    autarkic=False,
                    created_at=now,
                    updated_at=now,
                )
            )
        uow.commit()
    return seed_prosumers(container, grid_id, PROSUMERS, groups, registered_ago=timedelta(days=1))


def put_seconds(
    port: int, headers: dict[str, str], grid_id: str, at: datetime, ids: list[str]
) -> float:
    body = {"readings": readings(ids)}
    path = f"/api/v1/grids/{grid_id}/timeframes/{format_instant(at)}/readings"
    began = time.perf_counter()
    status, answer = call(port, "PUT", path, headers, body)
    assert status == 200, answer
    return time.perf_counter() - began


def read_latencies(port: int, headers: dict[str, str], path: str) -> list[float]:
    """REQUESTS sequential GETs on one keep-alive connection, seconds each."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    times = []
    try:
        for _ in range(REQUESTS):
            began = time.perf_counter()
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            assert response.status == 200
            times.append(time.perf_counter() - began)
    finally:
        conn.close()
    return times


def miss_latencies(
    port: int, headers: dict[str, str], grid_id: str, pid: str, at: datetime
) -> list[float]:
    """A consumption read right after one reading of the timeframe changed (nothing kept)."""
    stamp = format_instant(at)
    times = []
    for n in range(MISSES):
        path = f"/api/v1/prosumers/{pid}/readings/{stamp}"
        status, body = call(port, "PUT", path, headers, {"produced_wh": n, "consumed_wh": 7})
        assert status == 200, body
        began = time.perf_counter()
        status, body = call(port, "GET", f"/api/v1/grids/{grid_id}/consumption?at={stamp}", headers)
        times.append(time.perf_counter() - began)
        assert status == 200, body
    return times


def mark_seconds(container: Any, grid_id: str, at: datetime) -> float:
    """What a write of readings now does for peaks, alone: mark the timeframe in a transaction
    and queue the task (the grid had no mark), then the task is run (not timed)."""
    began = time.perf_counter()
    with container.uow() as uow:
        due = uow.communities.mark_pending(grid_id, [naive_utc(at)], utcnow())
        uow.commit()
    peaks.queue_evaluation(container, grid_id, {PEAKS_DUE: int(due)})
    seconds = time.perf_counter() - began
    assert due and container.task_queue().drain() >= 1
    return seconds


def task_seconds(container: Any) -> float:
    """Run the queued peak evaluation as a worker does (the bench's queue file); its seconds."""
    tasks = container.task_queue()
    assert peaks.EVALUATE_TASK in tasks.queued(), tasks.queued()
    began = time.perf_counter()
    assert tasks.drain() >= 1
    return time.perf_counter() - began


def run(container: Any, port: int, headers: dict[str, str]) -> dict[str, Any]:
    plain = create_grid(port, headers)
    grid = create_grid(port, headers)
    plain_ids, ids = seed(container, plain, 0), seed(container, grid, COMMUNITIES)
    without, with_, alone = [], [], []
    for k in range(ROUNDS):  # interleaved, so both see the same machine; each goes first
        at = FIRST + k * STEP  # in turn (the second of a pair pays more of the first's WAL)
        if k % 2:
            with_.append(put_seconds(port, headers, grid, at, ids))
        without.append(put_seconds(port, headers, plain, at, plain_ids))
        if not k % 2:
            with_.append(put_seconds(port, headers, grid, at, ids))
        alone.append(task_seconds(container))
    marks = [mark_seconds(container, grid, FIRST + k * STEP) for k in range(ROUNDS)]
    moment = format_instant(FIRST + STEP / 2)
    reads = read_latencies(port, headers, f"/api/v1/grids/{grid}/consumption?at={moment}")
    one = read_latencies(port, headers, f"/api/v1/grids/{plain}/consumption?at={moment}")
    misses = miss_latencies(port, headers, grid, ids[0], FIRST)
    container.task_queue().drain()  # the evaluation the misses' writes queued
    put_plain, put_comm = statistics.median(without), statistics.median(with_)
    added = statistics.median(b / a - 1 for a, b in zip(without, with_, strict=True))
    return {
        "prosumers / communities": f"{PROSUMERS:,} / {COMMUNITIES}",
        "consumption GET median_ms": 1000 * statistics.median(reads),
        "consumption GET p95_ms": 1000 * sorted(reads)[int(0.95 * len(reads)) - 1],
        "same, no communities median_ms": 1000 * statistics.median(one),
        "GET after a write median_ms": 1000 * statistics.median(misses),
        "bulk PUT, no communities s": put_plain,
        "bulk PUT, 100 communities s": put_comm,
        "PUT added (median of pairs) %": 100 * added,
        "mark + enqueue alone ms": 1000 * statistics.median(marks),
        "peak task (worker) s": statistics.median(alone),
        "task / plain PUT %": 100 * statistics.median(alone) / put_plain,
    }


def main() -> None:
    """`python -m tests.bench.bench_communities`: this section alone (no chain needed)."""
    import os
    import tempfile
    from pathlib import Path

    from tests.bench import bench_api
    from tests.bench.run import bench_env, free_port, show

    with tempfile.TemporaryDirectory(prefix="minigrid-bench-") as name:
        env = bench_env(Path(name), free_port())
        os.environ.update(env)
        from api import create_app
        from migrations.runner import upgrade
        from models.services import keys as key_service

        upgrade(env["DATABASE_URL"])
        container = create_app().extensions["minigrid"]
        with container.uow() as uow:
            _, token = key_service.create_key(uow, {"role": "admin", "name": "bench"})
        port = free_port()
        web = bench_api.start_gunicorn("wsgi:app", port, env)
        try:
            bench_api.wait_ok(f"http://127.0.0.1:{port}/health/live", {})
            show("communities", run(container, port, {"Authorization": f"Bearer {token}"}))
        finally:
            web.terminate()
            web.wait()
            container.close()


if __name__ == "__main__":
    main()
