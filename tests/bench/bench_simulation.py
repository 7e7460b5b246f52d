"""A simulated month through the metering path: 1,000 prosumers, each with a turbine, PV, a
battery and a load, 15-minute timeframes (2,880 of them: 2.88 million readings and flows).

Prints the compute time (registry -> physics -> integer rows), the whole `simulate_grid` run
(compute + readings through metering's upsert + flows in the document store), the write part
(the difference) with readings/s, a second identical run (every reading `unchanged`), and, as
floors of the same machine and run, the raw insert rate of the same readings straight into the
`readings` table and of the document engine (`put_many`).

Run alone: `.venv/bin/python -m tests.bench.bench_simulation [DATABASE_URL]` (default: a
throwaway SQLite file; a PostgreSQL URL gets a throwaway database on that server).
Prints numbers, asserts no speed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROSUMERS = 1_000
DAYS = 30
SEED = 42
START = datetime(2026, 6, 1, tzinfo=UTC)
EVENING = [
    str(round(0.25 + 0.5 * (h in (7, 8, 18, 19, 20, 21)) + 0.1 * (9 <= h < 17), 2))
    for h in range(24)
]
GRID = {
    "name": "simulated",
    "timezone": "Europe/Berlin",
    "timeframe_minutes": 15,
    "currency": "EUR",
    "import_price": "0.30",
    "feed_in_price": "0.08",
    "latitude": "52.52",
    "longitude": "13.40",
}


def asset_rows(i: int) -> list[dict[str, Any]]:
    """The four assets of prosumer number `i`, parameters complete (as the service stores them)."""
    return [
        {
            "type": "wind_turbine",
            "parameters": {
                "rated_power_w": 1000 + 500 * (i % 7),
                "hub_height_m": str(10 + i % 21),
                "cut_in_m_s": "3",
                "rated_m_s": "12",
                "cut_out_m_s": "25",
                "power_curve": None,
            },
        },
        {
            "type": "pv",
            "parameters": {
                "peak_power_w": 2000 + 250 * (i % 25),
                "tilt_deg": str(10 + i % 36),
                "azimuth_deg": str(120 + (i * 7) % 121),
            },
        },
        {
            "type": "battery",
            "parameters": {
                "capacity_wh": 5000 + 500 * (i % 20),
                "max_charge_w": 3000,
                "max_discharge_w": 3000,
                "round_trip_efficiency": "0.88",
                "initial_soc": "0.5",
            },
        },
        {
            "type": "load",
            "parameters": {
                "peak_w": 800 + 37 * (i % 60),
                "profile": EVENING,
                "weekend_profile": None,
            },
        },
    ]


def seed_grid(stores: Any, prosumers: int = PROSUMERS) -> str:
    """A grid with `prosumers` households of four assets each, in one transaction (setup only)."""
    from models.services import registry
    from models.services.clock import utcnow
    from models.sql.tables import Asset, Prosumer

    with stores.uow() as uow:
        grid_id = registry.create_grid(uow, dict(GRID)).id
    now = utcnow()
    ids = [str(uuid.uuid4()) for _ in range(prosumers)]
    with stores.uow() as uow:
        uow.session.add_all(
            Prosumer(
                id=pid,
                grid_id=grid_id,
                name=f"house {i:05d}",
                address=f"street {i}",
                kind="household",
                wallet="0x" + f"{i + 1:040x}",
                active=True,
                created_at=now,
                updated_at=now,
            )
            for i, pid in enumerate(ids)
        )
        uow.session.flush()
        uow.session.add_all(
            Asset(
                id=str(uuid.uuid4()),
                prosumer_id=pid,
                name=a["type"],
                enabled=True,
                created_at=now,
                updated_at=now,
                **a,
            )
            for i, pid in enumerate(ids)
            for a in asset_rows(i)
        )
        uow.commit()
    return str(grid_id)


def compute_seconds(stores: Any, grid_id: str, end: datetime) -> float:
    """The simulation's compute alone: plan, weather, physics, rows as Python ints."""
    from models.services import simulation

    began = time.perf_counter()
    for chunk in simulation.computed(stores, grid_id, START, end, SEED):
        for _ in chunk.frames:
            pass
    return time.perf_counter() - began


def raw_reading_rate(stores: Any, grid_id: str, count: int = 200_000) -> float:
    """Readings/s of the engine's plainest bulk insert into `readings`, no checks, key order,
    rolled back: SQLite `executemany` of INSERT, PostgreSQL binary COPY. The floor for what
    the metering path writes (into a table already holding the month)."""
    from models.services.clock import utcnow

    with stores.uow(write=False) as uow:
        ids = uow.registry.prosumer_ids(grid_id)
    now = utcnow()
    first = datetime(2025, 1, 1)
    step = timedelta(minutes=15)
    rows = sorted(
        (ids[n % len(ids)], first + step * (n // len(ids)), grid_id, n % 900, n % 800, now)
        for n in range(count)
    )
    columns = "prosumer_id, start, grid_id, produced_wh, consumed_wh, updated_at"
    with stores.uow() as uow:
        conn = uow.session.connection()
        began = time.perf_counter()
        if conn.dialect.name == "sqlite":
            text = _datetime_text(conn)
            rows = [(p, text(s), g, a, b, text(u)) for p, s, g, a, b, u in rows]
            began = time.perf_counter()
            conn.exec_driver_sql(
                f"INSERT INTO readings ({columns}) VALUES (?, ?, ?, ?, ?, ?)", rows
            )
        else:
            with conn.connection.driver_connection.cursor() as cur:
                copy_sql = f"COPY readings ({columns}) FROM STDIN (FORMAT BINARY)"
                with cur.copy(copy_sql) as copy:
                    copy.set_types(["varchar", "timestamp", "varchar", "int8", "int8", "timestamp"])
                    for row in rows:
                        copy.write_row(row)
        seconds = time.perf_counter() - began
        uow.rollback()
    return count / seconds


def _datetime_text(conn: Any) -> Any:
    from models.sql.readings_upsert import _datetime_text as text

    return text(conn)


def run(container: Any, days: int = DAYS, prosumers: int = PROSUMERS) -> dict[str, Any]:
    """Seed, then time compute, the first run, and the identical second run."""
    from models.services.simulation import simulate_grid
    from tests.bench import bench_documents

    grid_id = seed_grid(container, prosumers)
    end = START + timedelta(days=days)
    rows: dict[str, Any] = {"engine": container.engine.dialect.name, "prosumers": prosumers}
    rows["timeframes"] = days * 96
    readings = prosumers * days * 96
    rows["load_average_1min"] = os.getloadavg()[0]
    rows["compute_s"] = compute_seconds(container, grid_id, end)
    began, cpu = time.perf_counter(), _cpu_seconds()
    first = simulate_grid(container, grid_id, START, end, seed=SEED)
    rows["first_run_s"] = time.perf_counter() - began
    rows["first_run_cpu_s"] = _cpu_seconds() - cpu  # this process and the flows writer's
    rows["first_run_counts"] = _counts(first)
    rows["through_metering_s"] = rows["first_run_s"] - rows["compute_s"]
    rows["through_metering_per_s"] = readings / rows["through_metering_s"]
    began = time.perf_counter()
    second = simulate_grid(container, grid_id, START, end, seed=SEED)
    rows["second_run_s"] = time.perf_counter() - began
    rows["second_run_counts"] = _counts(second)
    rows["raw_readings_insert_per_s"] = raw_reading_rate(container, grid_id)
    rows["raw_documents_insert_per_s"] = bench_documents.raw_insert_rate(container.documents)
    rows["through_metering_vs_raw_readings"] = (
        rows["through_metering_per_s"] / rows["raw_readings_insert_per_s"]
    )
    return rows


def _cpu_seconds() -> float:
    """CPU seconds of this process and of its children that ended (the flows writer)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _counts(summary: dict[str, Any]) -> str:
    c = summary["readings"]
    return f"{c['inserted']:,} inserted, {c['updated']:,} updated, {c['unchanged']:,} unchanged"


@contextlib.contextmanager
def throwaway_app(database_url: str | None) -> Iterator[Any]:
    """The app's stores on a temp SQLite registry, or a fresh database on a PostgreSQL server."""
    from api import create_app
    from migrations.runner import upgrade
    from tests.conftest import fresh_pg_database

    with tempfile.TemporaryDirectory(prefix="minigrid-sim-") as name:
        tmp = Path(name)
        with contextlib.ExitStack() as stack:
            if database_url and database_url.startswith("postgresql"):
                import tests.conftest as conftest

                conftest.PG_URL = database_url
                url = stack.enter_context(fresh_pg_database())
            else:
                url = f"sqlite:///{tmp / 'minigrid.db'}"
                upgrade(url)
            config = {
                "DATABASE_URL": url,
                "MONGO_URL": f"sqlite:///{tmp / 'documents.db'}",
                "LEDGER_URL": "eth-tester://",
                "QUEUE_URL": f"sqlite:///{tmp / 'queue.db'}",
                "LOG_LEVEL": "WARNING",
            }
            app = create_app(config)
            try:
                yield app.extensions["minigrid"]
            finally:
                app.extensions["minigrid"].close()


def main() -> None:
    """Print the numbers of one run on the engine given (default SQLite)."""
    url = sys.argv[1] if len(sys.argv) > 1 else None
    days = int(sys.argv[2]) if len(sys.argv) > 2 else DAYS
    with throwaway_app(url) as stores:
        print(f"== simulation through metering: {PROSUMERS:,} prosumers, {days} days", flush=True)
        for name, value in run(stores, days).items():
            shown = (
                f"{value:,.3f}"
                if isinstance(value, float)
                else f"{value:,}"
                if isinstance(value, int)
                else value
            )
            print(f"  {name:<32} {shown}", flush=True)


if __name__ == "__main__":
    main()
