"""The set-based readings upsert on SQLite and PostgreSQL: the Registry port's `upsert_readings`
(counts, untouched equal rows, exact values, batches) and metering's `upsert_timeframes` (many
timeframes in one transaction, all or nothing, the same 422/409 as one timeframe)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.services import metering
from models.services.closing import close_timeframe
from models.services.errors import Conflict, Unprocessable
from models.sql import readings_upsert
from tests.conftest import GRID, add_prosumer

T0 = datetime(2026, 10, 1)  # naive UTC, as the registry stores instants
STEP = timedelta(minutes=15)
BIG = 10**12
EARLY = datetime(2026, 1, 1)
LATE = datetime(2026, 1, 2)


@pytest.fixture(params=["arrays", "copy"])
def staging(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """PostgreSQL's two ways in: unnest(arrays) for few rows, COPY to a temp table for many."""
    monkeypatch.setattr(readings_upsert, "COPY_FROM", 10**9 if request.param == "arrays" else 1)


@pytest.fixture
def world(client: Any, admin: dict[str, str]) -> dict[str, Any]:
    grids = [client.post("/api/v1/grids", json=GRID, headers=admin).json for _ in range(2)]
    ids = [add_prosumer(client, admin, grids[0]["id"], n)["id"] for n in range(3)]
    stranger = add_prosumer(client, admin, grids[1]["id"], 9)["id"]
    return {"grid": grids[0]["id"], "other": grids[1]["id"], "p": ids, "stranger": stranger}


def stores(app: Any) -> Any:
    return app.extensions["minigrid"]


def upsert(app: Any, grid_id: str, frames: dict, at: datetime = EARLY) -> tuple[int, int]:
    with stores(app).uow() as uow:
        counts = uow.registry.upsert_readings(grid_id, at, frames)
        uow.commit()
    return counts


def stored(app: Any, grid_id: str, start: datetime) -> dict[str, tuple[int, int]]:
    with stores(app).uow(write=False) as uow:
        return uow.registry.readings_at(grid_id, start)


def stamps(app: Any, pid: str) -> dict[datetime, datetime]:
    with stores(app).uow(write=False) as uow:
        rows, _ = uow.registry.readings(pid, T0 - STEP, T0 + 10 * STEP, 1, 100)
        return {r.start: r.updated_at for r in rows}


def test_port_counts_inserted_and_updated_and_leaves_equal_rows(
    app: Any, world: dict, staging: None
) -> None:
    g, (a, b, c) = world["grid"], world["p"]
    assert upsert(app, g, {}) == (0, 0)
    assert upsert(app, g, {T0: [(a, 1, 2), (b, BIG, 0)], T0 + STEP: [(a, 3, 4)]}) == (3, 0)
    assert upsert(app, g, {T0: [(a, 1, 2), (b, BIG, 0)], T0 + STEP: [(a, 3, 4)]}, LATE) == (0, 0)
    assert stamps(app, a) == {T0: EARLY, T0 + STEP: EARLY}  # equal rows untouched
    frames = {T0: [(a, 1, 2), (b, BIG, 1), (c, 0, 0)], T0 + STEP: [(a, 3, 5)]}
    assert upsert(app, g, frames, LATE) == (1, 2)
    assert stored(app, g, T0) == {a: (1, 2), b: (BIG, 1), c: (0, 0)}
    assert stored(app, g, T0 + STEP) == {a: (3, 5)}
    assert stamps(app, a) == {T0: EARLY, T0 + STEP: LATE}
    assert type(stored(app, g, T0)[b][0]) is int


def test_port_counts_only_the_grid_it_writes(app: Any, world: dict) -> None:
    g, (a, _, _) = world["grid"], world["p"]
    assert upsert(app, world["other"], {T0: [(world["stranger"], 5, 5)]}) == (1, 0)
    assert upsert(app, g, {T0: [(a, 5, 5)]}) == (1, 0)
    assert upsert(app, world["other"], {T0: [(world["stranger"], 5, 6)]}) == (0, 1)


def test_port_counts_across_batches(app: Any, world: dict, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(readings_upsert, "BATCH", 2)
    monkeypatch.setattr(readings_upsert, "IN_LIST", 2)
    g, ids = world["grid"], world["p"]
    frames = {T0 + n * STEP: [(pid, n, 7) for pid in ids] for n in range(5)}
    assert upsert(app, g, frames) == (15, 0)
    frames[T0 + 4 * STEP] = [(pid, 0, 0) for pid in ids]
    frames[T0 + 5 * STEP] = [(ids[0], 1, 1)]
    assert upsert(app, g, frames) == (1, 3)
    assert stored(app, g, T0 + 3 * STEP) == dict.fromkeys(ids, (3, 7))


def frames_of(world: dict, *pairs: tuple[int, int]) -> dict[datetime, list]:
    """Aware starts T0, T0+15 min, ... each with every prosumer at the given energy."""
    return {
        (T0 + n * STEP).replace(tzinfo=UTC): [(pid, p, c) for pid in world["p"]]
        for n, (p, c) in enumerate(pairs)
    }


def timeframes(app: Any, world: dict, frames: dict) -> dict[str, int]:
    with stores(app).uow() as uow:
        grid = uow.registry.grid(world["grid"])
        return metering.upsert_timeframes(uow, grid, frames)


def test_many_timeframes_in_one_call_count_like_one_by_one(app: Any, world: dict) -> None:
    assert timeframes(app, world, frames_of(world, (1, 0), (2, 0))) == {
        "inserted": 6,
        "updated": 0,
        "unchanged": 0,
    }
    again = timeframes(app, world, frames_of(world, (1, 0), (2, 1), (3, 0)))
    assert again == {"inserted": 3, "updated": 3, "unchanged": 3}


def test_a_closed_timeframe_refuses_the_whole_call_and_nothing_is_written(
    app: Any, world: dict
) -> None:
    timeframes(app, world, frames_of(world, (1, 0), (2, 0)))
    close_timeframe(stores(app), world["grid"], T0.replace(tzinfo=UTC), force=True)
    same = timeframes(app, world, frames_of(world, (1, 0), (2, 0)))
    assert same == {"inserted": 0, "updated": 0, "unchanged": 6}
    with pytest.raises(Conflict, match=r"2026-10-01T00:00:00Z is closed.*\(3 reading"):
        timeframes(app, world, frames_of(world, (9, 0), (5, 5), (6, 6)))
    assert stored(app, world["grid"], T0 + STEP) == dict.fromkeys(world["p"], (2, 0))
    assert stored(app, world["grid"], T0 + 2 * STEP) == {}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda f, w: f[T0.replace(tzinfo=UTC) + STEP].append((w["p"][0], 1, 1)), "prosumer_id"),
        (
            lambda f, w: f[T0.replace(tzinfo=UTC) + STEP].append((w["stranger"], 1, 1)),
            "prosumer_id",
        ),
        (lambda f, w: f[T0.replace(tzinfo=UTC) + STEP].append(("nope", 1, 1)), "prosumer_id"),
        (lambda f, w: f[T0.replace(tzinfo=UTC) + STEP].append((w["p"][0], 1.5, 1)), "produced_wh"),
        (lambda f, w: f[T0.replace(tzinfo=UTC) + STEP].append((w["p"][0], 1, -1)), "consumed_wh"),
        (lambda f, w: f[T0.replace(tzinfo=UTC) + STEP].append((w["p"][0], True, 1)), "produced_wh"),
    ],
)
def test_a_bad_line_in_any_timeframe_is_422_naming_it_and_nothing_is_written(
    app: Any, world: dict, change: Any, field: str
) -> None:
    frames = frames_of(world, (1, 0), (2, 0))
    change(frames, world)
    with pytest.raises(Unprocessable) as refused:
        timeframes(app, world, frames)
    assert refused.value.detail.startswith("timeframe 2026-10-01T00:15:00Z: readings[3].")
    assert list(refused.value.extra["errors"]) == [f"readings.3.{field}"]
    assert stored(app, world["grid"], T0) == {}


def test_an_unaligned_start_among_many_is_422(app: Any, world: dict) -> None:
    frames = frames_of(world, (1, 0))
    frames[(T0 + timedelta(minutes=22)).replace(tzinfo=UTC)] = [(world["p"][0], 1, 1)]
    with pytest.raises(Unprocessable, match="boundary") as refused:
        timeframes(app, world, frames)
    assert "start" in refused.value.extra["errors"]
    assert stored(app, world["grid"], T0) == {}
