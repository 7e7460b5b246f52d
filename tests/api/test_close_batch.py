"""Batched closing (`close_range`) writes what closing one timeframe at a time writes: the same
snapshots (plant and communities included), plant imports, clearing terms, trades, order fills,
hashes and events, half-closed timeframes finished. SQLite and PostgreSQL, each against a
reference SQLite store closed by `close_timeframe`."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from models.services import closing, closing_batch
from models.services.assets import update_plant
from models.services.clearing_terms import TERMS, terms_key
from models.services.closing import close_timeframe
from models.services.closing_batch import close_range
from models.services.communities import snapshot_groups
from models.services.metering import upsert_timeframes
from models.services.peaks import queue_evaluation
from tests.conftest import make_test_app, run_worker
from tests.events.conftest import all_events

START = datetime(2026, 6, 1, tzinfo=UTC)
STEP = timedelta(minutes=15)
COUNT = 24
GRID_ID = "00000000-0000-4000-8000-000000000001"
COMMUNITY = "00000000-0000-4000-8000-000000000002"
PIDS = [f"00000000-0000-4000-8000-0000000001{n:02d}" for n in range(6)]


def seed(stores: Any) -> None:
    """A 15-minute auction grid: 6 prosumers (the last registered mid-range; 4 in a community
    whose peaks come and go), readings with gaps, orders at distinct limits, a plant with a
    buffer; all with fixed ids so two stores can be compared."""
    now = datetime(2026, 5, 1)
    with stores.uow() as uow:
        uow.registry.add_grid(
            id=GRID_ID,
            name="batch",
            timezone="Europe/Stockholm",
            timeframe_minutes=15,
            currency="EUR",
            import_price=Decimal("0.30"),
            feed_in_price=Decimal("0.10"),
            mechanism="auction",
            wei_per_minor_unit=Decimal(10**13),
            created_at=now,
            updated_at=now,
        )
        uow.communities.add(
            id=COMMUNITY,
            grid_id=GRID_ID,
            name="block",
            peak_threshold_w=5_000,
            peak_hysteresis=Decimal("0.1"),
            autarkic=False,
            created_at=now,
            updated_at=now,
        )
        for n, pid in enumerate(PIDS):
            created = (START + 10 * STEP).replace(tzinfo=None) if n == 5 else now
            uow.registry.add_prosumer(
                id=pid,
                grid_id=GRID_ID,
                name=f"p{n}",
                address="-",
                kind="household",
                wallet=f"0x{n + 1:040x}",
                active=True,
                members=None,
                community_id=COMMUNITY if n < 4 else None,
                created_at=created,
                updated_at=created,
            )
        uow.registry.add_plant(  # small, with a buffer: its level carries from one to the next
            grid_id=GRID_ID,
            max_output_w=2_000,
            status="running",
            ratio=Decimal("0.25"),
            buffer_capacity_wh=600,
            carbon_g_per_kwh=820,
            updated_at=now,
        )
        uow.commit()
    with stores.uow() as uow:
        grid = uow.registry.grid(GRID_ID)
        batch = {
            START + i * STEP: [
                (x["prosumer_id"], x["produced_wh"], x["consumed_wh"]) for x in _lines(i)
            ]
            for i in range(COUNT)
        }
        counts = upsert_timeframes(uow, grid, batch)
    queue_evaluation(stores, GRID_ID, counts)  # as the metering routes do: a worker evaluates
    with stores.uow() as uow:
        for i in (3, 4, 12):
            for n, side in ((0, "sell"), (1, "buy"), (2, "buy")):
                uow.registry.add_order(
                    id=f"00000000-0000-4000-8000-0000{i:04d}{n:04d}",
                    grid_id=GRID_ID,
                    prosumer_id=PIDS[n],
                    timeframe_start=(START + i * STEP).replace(tzinfo=None),
                    side=side,
                    energy_wh=150 + 50 * n,
                    limit_price=Decimal(f"0.{12 + 3 * n}"),
                    status="open",
                    filled_wh=0,
                    trade_ids=[],
                    idempotency_key=f"k{i}-{n}",
                    request_hash="-",
                    created_at=now + timedelta(seconds=n),
                    updated_at=now,
                )
        uow.commit()


def _lines(i: int) -> list[dict[str, Any]]:
    """Timeframe i's readings: prosumer 4 sends none in odd timeframes, 5 only late."""
    out = []
    for n, pid in enumerate(PIDS):
        if (n == 4 and i % 2) or (n == 5 and i < 12):
            continue
        out.append(
            {
                "prosumer_id": pid,
                "produced_wh": (i * 37 + n * 101) % 500,
                "consumed_wh": (i * 53 + n * 71) % 400 + 150,
            }
        )
    return out


def documents(stores: Any) -> dict[str, Any]:
    """Everything a close writes, without the wall-clock fields."""
    docs, out = stores.documents, {}
    with stores.uow(write=False) as uow:
        rows = uow.registry.timeframes_between(GRID_ID, datetime(2026, 1, 1), datetime(2027, 1, 1))
        out["timeframes"] = [(t.start, t.status, t.snapshot_hash, t.trades_hash) for t in rows]
        orders = uow.registry.orders_between(
            GRID_ID, datetime(2026, 1, 1), datetime(2027, 1, 1), "filled"
        )
        orders += uow.registry.orders_between(
            GRID_ID, datetime(2026, 1, 1), datetime(2027, 1, 1), "partial"
        )
        orders += uow.registry.orders_between(
            GRID_ID, datetime(2026, 1, 1), datetime(2027, 1, 1), "unfilled"
        )
        out["orders"] = sorted((o.id, o.status, o.filled_wh, tuple(o.trade_ids)) for o in orders)
    starts = [(START + i * STEP).strftime("%Y-%m-%dT%H:%M:%SZ") for i in range(COUNT)]
    out["snapshots"] = [docs.snapshots.get(GRID_ID, s) for s in starts]
    out["trades"] = [docs.transactions.timeframe(GRID_ID, s) for s in starts]
    out["terms"] = [docs.collection(TERMS).get(terms_key(GRID_ID, s)) for s in starts]
    out["imports"] = [
        docs.plant_imports.sums(GRID_ID, pid, starts[0], "2027-01-01T00:00:00Z") for pid in PIDS
    ]
    events = [
        {k: v for k, v in e.items() if k != "occurred_at"}
        for e in all_events(stores, grid_id=GRID_ID)
    ]
    out["events"] = [e for e in events if e["type"] == "timeframe.closed"]
    out["community_events"] = [  # in their own order (a batch's closes come first in the feed)
        (e["type"], {k: v for k, v in e["data"].items() if k != "peak_id"})
        for e in events
        if e["type"] != "timeframe.closed"
    ]
    return out


@pytest.fixture
def reference(tmp_path: Path, sqlite_template: Path) -> Any:
    """A second SQLite store with the same data, closed one timeframe at a time."""
    folder = tmp_path / "reference"
    folder.mkdir()
    shutil.copy(sqlite_template, folder / "registry.db")
    app = make_test_app(f"sqlite:///{folder / 'registry.db'}", folder)
    yield app.extensions["minigrid"]
    app.extensions["minigrid"].close()


def test_batched_close_writes_what_single_closes_write(
    app: Any, reference: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both stores live the same history: 2 closed early, 7 and 16 stopped after freezing,
    0-15 closed, 16 stopped after its snapshot, the plant changed, then the rest closed; ours
    in batches (of 5, so batches end mid-data), the reference one timeframe at a time."""
    stores = app.extensions["minigrid"]
    monkeypatch.setattr(closing_batch, "BATCH", 5)
    for s in (stores, reference):
        seed(s)
        close_timeframe(s, GRID_ID, START + 2 * STEP)  # closed before the run
        for i in (7, 16):  # closes that crashed after freezing: `closing`, nothing else
            with s.uow() as uow:
                uow.registry.begin_closing(GRID_ID, (START + i * STEP).replace(tzinfo=None))
                uow.commit()
    closed = close_range(stores, GRID_ID, START, START + 16 * STEP)
    for i in range(16):
        if i != 2:
            close_timeframe(reference, GRID_ID, START + i * STEP)
    at = (START + 16 * STEP).replace(tzinfo=None)
    with reference.uow(write=False) as uow:  # phase 2 of timeframe 16, as a crash leaves it
        members = set(uow.registry.members_at(GRID_ID, at + STEP))
        grid, readings = uow.registry.grid(GRID_ID), uow.registry.readings_at(GRID_ID, at)
        groups = snapshot_groups(uow, GRID_ID)
    for s in (stores, reference):
        closing._save_snapshot(s, grid, at, members, readings, groups)
        with s.uow() as uow:  # then the plant changes: 16 keeps its stored part, 17 carries it
            update_plant(uow, GRID_ID, {"ratio": Decimal("0.5"), "max_output_w": 4_000})
    closed += close_range(stores, GRID_ID, START, START + COUNT * STEP)
    for i in range(16, COUNT):
        close_timeframe(reference, GRID_ID, START + i * STEP)
    assert len(closed) == COUNT - 1 and closed[0] == START.replace(tzinfo=None)
    assert documents(stores)["community_events"] == []  # the closes only marked them: a task's
    assert run_worker(app) >= 1 and reference.task_queue().drain() >= 1  # the worker evaluates
    mine, theirs = documents(stores), documents(reference)
    assert [t[1] for t in mine["timeframes"]] == ["closed"] * COUNT
    assert len(mine["orders"]) == 9 and {o[1] for o in mine["orders"]} != {"unfilled"}
    assert all(s is not None and s["lines"] for s in mine["snapshots"])
    assert len(mine["events"]) == COUNT
    plants = [s["plant"] for s in mine["snapshots"]]
    assert sum(p["from_buffer_wh"] for p in plants) > 0 and plants[17]["ratio"] == "0.5"
    assert plants[16]["ratio"] == "0.25" and sum(i["imported_wh"] for i in mine["imports"]) > 0
    assert all(t is not None for t in mine["terms"]) and len(mine["terms"][3]["orders"]) == 3
    kinds = {t for t, _ in mine["community_events"]}
    assert {"community.peak_started", "community.peak_ended"} <= kinds, kinds
    assert all(s["communities"] for s in mine["snapshots"])
    for key in (
        "timeframes",
        "orders",
        "snapshots",
        "imports",
        "terms",
        "trades",
        "events",
        "community_events",
    ):
        assert mine[key] == theirs[key], key
    assert close_range(stores, GRID_ID, START, START + COUNT * STEP) == []
