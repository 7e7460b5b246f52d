"""`make bench`: start throwaway stores, anvil and gunicorn; print numbers (never asserts speed)."""

from __future__ import annotations

import importlib
import inspect
import os
import socket
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from ledger.anvil import start_anvil, stop_anvil  # noqa: E402
from tests.bench import (  # noqa: E402
    bench_api,
    bench_communities,
    bench_demo,
    bench_events,
    bench_market,
    bench_metering,
    bench_mqtt,
    bench_simulation,
)
from tests.documents.samples import ts  # noqa: E402

PROSUMERS = 10_000
CLOSE_PROSUMERS = 100_000
MONTH = 30 * 96


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def bench_env(var: Path, ledger_port: int) -> dict[str, str]:
    """Settings of every process in the run: stores in `var`, no throttling, quiet logs."""
    return {
        "DATABASE_URL": f"sqlite:///{var / 'minigrid.db'}",
        "MONGO_URL": f"sqlite:///{var / 'documents.db'}",
        "LEDGER_URL": f"http://127.0.0.1:{ledger_port}",
        "WRITE_RATE_LIMIT": "1000000/minute",
        "LOG_LEVEL": "WARNING",
        "STORE_TIMEOUT_S": "30",
    }


def show(title: str, rows: dict[str, Any]) -> None:
    """Print one section: a title, then `name: value` lines."""
    print(f"\n== {title}", flush=True)
    for name, value in rows.items():
        text = (
            f"{value:,.3f}"
            if isinstance(value, float)
            else f"{value:,}"
            if isinstance(value, int)
            else str(value)
        )
        print(f"  {name:<24} {text}", flush=True)


def section(title: str, work: Callable[[], dict[str, Any] | None]) -> Any:
    """Run one measurement; print its numbers, or why it could not run, and go on."""
    began = time.perf_counter()
    try:
        rows = work()
    except Exception:
        print(f"\n== {title}: failed\n{traceback.format_exc()}", flush=True)
        return None
    if rows is not None:
        show(f"{title} ({time.perf_counter() - began:.1f} s)", rows)
    return rows


def optional_module(name: str) -> Any:
    """Another engineer's bench module, or None (printed as not available yet)."""
    try:
        return importlib.import_module(f"tests.bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"tests.bench.{name}":
            raise
        print(f"\n== {name}: not available yet", flush=True)
        return None


def call_run(module: Any, chain: Any, container: Any) -> dict[str, Any] | None:
    """Call `module.run` with whichever of chain/container it takes; it prints its own lines."""
    params = inspect.signature(module.run).parameters
    given = {"chain": chain, "container": container}
    result = module.run(**{k: v for k, v in given.items() if k in params})
    return result if isinstance(result, dict) else None


def measure(
    env: dict[str, str], tmp: Path, container: Any, token: str, app: Any, reads_only: bool
) -> None:
    """All measurements against one running real app (gunicorn, 2 workers)."""
    headers = {"Authorization": f"Bearer {token}"}
    port = free_port()
    web = bench_api.start_gunicorn("wsgi:app", port, env)
    try:
        bench_api.wait_ok(f"http://127.0.0.1:{port}/health/live", {})
        grid_id = bench_metering.create_grid(port, headers)
        ids = bench_metering.seed_prosumers(container, grid_id, PROSUMERS)
        if reads_only:
            bench_market.fill_month(container, grid_id, ids[0], ids[1:4], MONTH)
        else:
            closed = section(
                f"metering: one timeframe of {PROSUMERS:,} prosumers over HTTP",
                lambda: bench_metering.upsert_and_close(port, headers, grid_id, ids),
            )
            section(
                f"mqtt: ingest of one timeframe from {PROSUMERS:,} meters (publish to stored)",
                lambda: bench_mqtt.run(container, env, tmp, grid_id, ids),
            )
            market(container, port, headers, grid_id, ids, closed, app)
        if not reads_only:
            section(
                "communities: consumption at a moment (open), peaks on a bulk PUT and in a worker",
                lambda: bench_communities.run(container, port, headers),
            )
        section(
            f"events: feed read over HTTP ({bench_events.EVENTS:,} events), webhook fan-out",
            lambda: bench_events.run(container, port, headers, grid_id),
        )
        section(
            "reads vs a bare Flask endpoint returning the same JSON (req/s)",
            lambda: bench_api.run(env, port, free_port(), read_paths(grid_id, ids), token, tmp),
        )
    finally:
        web.terminate()
        web.wait()
    if reads_only:
        return
    section(
        "documents: raw inserts and a month of netto (1,000 prosumers, 15 min)",
        lambda: bench_metering.month_netto(container),
    )


def read_paths(grid_id: str, ids: list[str]) -> dict[str, str]:
    """The read endpoints compared with a bare endpoint: one prosumer, and two list pages."""
    grid = f"/api/v1/grids/{grid_id}"
    return {
        "prosumer": f"/api/v1/prosumers/{ids[0]}",
        "prosumers page": f"{grid}/prosumers?page_size=100",
        "transactions page": f"{grid}/transactions?from={ts(0)}&to={ts(MONTH)}&page_size=100",
    }


def market(
    container: Any,
    port: int,
    headers: dict[str, str],
    grid_id: str,
    ids: list[str],
    closed: dict[str, Any] | None,
    app: Any,
) -> None:
    """Clearing (domain, full close) and the transactions listing of one prosumer's month."""
    section(
        "clearing: domain clear_timeframe, CPU ms (best of 3) by prosumers, vs lemlab",
        bench_market.clearing_at_scale,
    )
    section("clearing: views of a 100,000-prosumer auction result (ms)", bench_market.result_views)
    if closed:
        section(
            "clearing: full close incl. snapshot and trade writes",
            lambda: bench_market.close_trades(
                container, grid_id, bench_metering.START, closed["close_s"]
            ),
        )
    section(
        "transactions: listing a month of 15-minute trades of one prosumer",
        lambda: listing(container, port, headers, grid_id, ids, app),
    )
    section(
        f"clearing: close one timeframe of {CLOSE_PROSUMERS:,} prosumers end to end (mid_market)",
        lambda: bench_market.close_at_scale(container, port, headers, CLOSE_PROSUMERS),
    )


def listing(
    container: Any, port: int, headers: dict[str, str], grid_id: str, ids: list[str], app: Any
) -> dict[str, Any]:
    """Fill a month of trades for ids[0]; time the store and, when routed, the HTTP listing."""
    began = time.perf_counter()
    bench_market.fill_month(container, grid_id, ids[0], ids[1:4], MONTH)
    rows = {
        "fill_s": time.perf_counter() - began,
        **bench_market.listing_latency(container, grid_id, ids[0], MONTH),
    }
    routed = any(r.rule.endswith("/transactions") for r in app.url_map.iter_rules())
    rows["http_first_page_s"] = (
        bench_market.http_listing(port, headers, ids[0], MONTH)
        if routed
        else "endpoint not available yet"
    )
    return rows


def settlement(container: Any) -> None:
    """The settlement engineer's bench (and the gas bench), if present."""
    for name in ("bench_settlement", "bench_gas", "bench_corrections"):
        module = optional_module(name)
        if module is not None:
            section(name, lambda m=module: call_run(m, container.chain, container))  # type: ignore[misc]


def simulation() -> None:
    """A simulated month through the metering path, on throwaway SQLite stores and, when
    BENCH_DATABASE_URL or TEST_DATABASE_URL names a PostgreSQL server, on a fresh database."""
    pg_url = os.environ.get("BENCH_DATABASE_URL") or os.environ.get("TEST_DATABASE_URL", "")
    title = "simulation: a month of 15-min timeframes, 1,000 prosumers, through metering"
    for engine, url in (("SQLite", None), ("PostgreSQL", pg_url)):
        if engine == "PostgreSQL" and not url.startswith("postgres"):
            print(f"\n== {title} ({engine}): skipped, set TEST_DATABASE_URL", flush=True)
            continue

        def work(url: str | None = url) -> dict[str, Any]:
            with bench_simulation.throwaway_app(url) as stores:
                return bench_simulation.run(stores)

        section(f"{title} ({engine})", work)


def main() -> None:
    """Start throwaway stores and anvil in a temp dir, measure everything, clean up.

    `python -m tests.bench.run reads` measures only the reads against their bare twins;
    `python -m tests.bench.run simulation` only the simulated month through metering.
    """
    if sys.argv[1:] == ["simulation"]:
        simulation()
        return
    reads_only = sys.argv[1:] == ["reads"]
    if sys.argv[1:] == ["dashboard"]:
        dashboard()
        return
    with tempfile.TemporaryDirectory(prefix="minigrid-bench-") as name:
        tmp = Path(name)
        ledger_port = free_port()
        env = bench_env(tmp, ledger_port)
        os.environ.update(env)
        from api import create_app
        from migrations.runner import upgrade
        from models.services import keys as key_service

        upgrade(env["DATABASE_URL"])
        anvil = start_anvil(ledger_port, None)
        try:
            app = create_app()
            container = app.extensions["minigrid"]
            with container.uow() as uow:
                _, token = key_service.create_key(uow, {"role": "admin", "name": "bench"})
            print(f"minigrid bench: {os.cpu_count()} CPUs, stores in {tmp}", flush=True)
            measure(env, tmp, container, token, app, reads_only)
            if not reads_only:
                settlement(container)
                section(
                    "demo: a 60-day build by phase; 7 days in communities and 30 days closed,"
                    " batched vs one per call",
                    lambda: bench_demo.run(container),
                )
            container.close()
            if not reads_only:
                simulation()
        finally:
            stop_anvil(anvil)
    if not reads_only:
        dashboard()


def dashboard() -> None:
    """The dashboard's own bench (a devserver and chromium of its own), if present."""
    module = optional_module("bench_dashboard")
    if module is not None:
        section("dashboard: overview of a month of 15-minute data in chromium", module.run)


if __name__ == "__main__":
    main()
