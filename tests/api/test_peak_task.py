"""Peak evaluation as a queued task (SQLite and PostgreSQL, the queue's SQLite file): a readings
write only marks its timeframe and queues the task; the worker emits the events, once however
often the task runs, and a lost or failed task is run again."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

import pytest

from models.services import peaks
from models.services.meter_ingest import MeterReading, ingest
from models.services.tasks import REGISTRY
from tests.api.test_communities import at, street  # noqa: F401 (the fixture)
from tests.api.test_communities_scenario import get
from tests.api.test_metering import line, put_bulk
from tests.conftest import run_worker

# 4,200 W in a timeframe: the 3,000 W car is paused in the first, the 1,000 W one in the next
PEAK = [("community.peak_started", at(0)), ("device.command", at(0))]
NEXT = [("device.command", at(1))]


def feed(client: Any, admin: dict, gid: str) -> list[tuple[str, str]]:
    """The grid's events: (type, timeframe), in the feed's order."""
    events = get(client, admin, f"/api/v1/events?grid_id={gid}&limit=1000")
    return [(e["type"], e["data"].get("timeframe") or e["data"]["start"]) for e in events]


def over_threshold(client: Any, admin: dict, street: dict, k: int = 0) -> None:  # noqa: F811
    rows = [line(street["h1"], 0, 800), line(street["h2"], 0, 250)]
    assert put_bulk(client, admin, street["grid"], at(k), rows).status_code == 200


def test_a_write_returns_before_the_evaluation_and_the_worker_emits_the_events(
    client: Any,
    admin: dict,
    street: dict,  # noqa: F811
    app: Any,
) -> None:
    gid, cid = street["grid"], street["community"]
    tasks = app.extensions["minigrid"].task_queue()
    over_threshold(client, admin, street)
    assert tasks.queued() == [peaks.EVALUATE_TASK]  # the write queued the evaluation...
    assert feed(client, admin, gid) == []  # ...and evaluated nothing itself
    assert get(client, admin, f"/api/v1/communities/{cid}/peaks?from={at(0)}&to={at(9)}") == []
    # more writes, to the same and the next timeframes, while it waits: still one task
    one = client.put(
        f"/api/v1/prosumers/{street['h2']}/readings/{at(0)}",
        json={"produced_wh": 0, "consumed_wh": 260},
        headers=admin,
    )
    assert one.status_code == 200 and one.json == {"inserted": 0, "updated": 1, "unchanged": 0}
    over_threshold(client, admin, street, 1)
    assert tasks.queued() == [peaks.EVALUATE_TASK]
    assert run_worker(app) == 1
    assert feed(client, admin, gid) == PEAK + NEXT  # in timeframe order
    (peak,) = get(client, admin, f"/api/v1/communities/{cid}/peaks?from={at(0)}&to={at(9)}")
    assert (peak["started_at"], peak["peak_w"]) == (at(0), 4240)
    assert tasks.queued() == [] and run_worker(app) == 0


def test_a_failed_evaluation_is_retried_and_each_event_is_emitted_once(
    client: Any,
    admin: dict,
    street: dict,  # noqa: F811
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec = REGISTRY[peaks.EVALUATE_TASK]
    monkeypatch.setitem(REGISTRY, spec.name, dataclasses.replace(spec, retry_delay_s=0.0))
    written = peaks._locked
    failures = [OSError("the worker died before its commit")]

    def dies_once(*args: Any) -> peaks.Evaluation:
        result = written(*args)  # the peak, the pause and their events, not yet committed
        if failures:
            raise failures.pop()
        return result

    monkeypatch.setattr(peaks, "_locked", dies_once)
    over_threshold(client, admin, street)
    assert run_worker(app) == 2  # the failed run, then its retry
    assert feed(client, admin, street["grid"]) == PEAK
    container = app.extensions["minigrid"]
    # run again (a duplicate, a worker killed after the commit): nothing left to emit
    assert peaks.evaluate_pending(container, street["grid"]) == peaks.NOTHING
    over_threshold(client, admin, street)  # the same readings: unchanged, nothing queued
    assert run_worker(app) == 0
    assert feed(client, admin, street["grid"]) == PEAK


def test_a_mark_whose_task_could_not_be_queued_is_evaluated_after_the_sweep(
    client: Any,
    admin: dict,
    street: dict,  # noqa: F811
    app: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tasks = app.extensions["minigrid"].task_queue()

    def queue_down(*args: Any, **kwargs: Any) -> None:
        raise ConnectionError("the queue's store is down")

    with monkeypatch.context() as down:
        down.setattr(tasks, "enqueue", queue_down)
        over_threshold(client, admin, street)  # written and answered: 200 (the mark is kept)
    over_threshold(client, admin, street, 1)  # the grid already has a mark: queues nothing
    assert tasks.queued() == []
    container = app.extensions["minigrid"]
    assert peaks.sweep_pending(container) == 0  # the mark is younger than LOST_S
    monkeypatch.setattr(peaks, "LOST_S", -1.0)
    assert peaks.sweep_pending(container) == 1
    assert run_worker(app) == 1
    assert feed(client, admin, street["grid"]) == PEAK + NEXT
    assert peaks.sweep_pending(container) == 0  # no mark left


def test_meter_readings_over_mqtt_queue_the_evaluation_too(
    client: Any,
    admin: dict,
    street: dict,  # noqa: F811
    app: Any,
) -> None:
    """The MQTT ingest's batches write through the same path: one task for the batch."""
    container = app.extensions["minigrid"]
    start = datetime.fromisoformat(at(0).replace("Z", "+00:00"))
    batch = [
        MeterReading(n, street["grid"], street[house], start, 0, wh)
        for n, (house, wh) in enumerate((("h1", 800), ("h2", 250)))
    ]
    outcome = ingest(container, batch)
    assert outcome.refused == {} and outcome.counts == {"inserted": 2, "updated": 0, "unchanged": 0}
    assert container.task_queue().queued() == [peaks.EVALUATE_TASK]
    assert feed(client, admin, street["grid"]) == []
    assert run_worker(app) == 1
    assert feed(client, admin, street["grid"]) == PEAK


def test_a_close_returns_before_the_evaluation_and_the_worker_emits_the_events(
    client: Any,
    admin: dict,
    street: dict,  # noqa: F811
    app: Any,
) -> None:
    """Autarky is judged on final totals only: with house 2 silent, only the closes decide it.
    A close over HTTP records its mark and queues the task; the worker evaluates the closed
    timeframes on their snapshots, in timeframe order, once."""
    gid, h1 = street["grid"], street["h1"]
    container = app.extensions["minigrid"]
    for k, (produced, consumed) in enumerate(((500, 100), (0, 300))):
        rows = [line(h1, produced, consumed)]
        assert put_bulk(client, admin, gid, at(k), rows).status_code == 200
    assert run_worker(app) == 1
    assert feed(client, admin, gid) == []  # partial sums, under the threshold: nothing
    for k in (0, 1):
        url = f"/api/v1/grids/{gid}/timeframes/{at(k)}/close?force=true"
        assert client.post(url, headers=admin).status_code == 201
    assert container.task_queue().queued() == [peaks.EVALUATE_TASK]  # once for both closes
    closes = [("timeframe.closed", at(0)), ("timeframe.closed", at(1))]
    assert feed(client, admin, gid) == closes  # the closes evaluated nothing themselves
    assert run_worker(app) == 1
    judged = [("community.autarky_gained", at(0)), ("community.autarky_lost", at(1))]
    assert feed(client, admin, gid) == closes + judged
    assert peaks.evaluate_pending(container, gid) == peaks.NOTHING  # a second run: nothing
    assert run_worker(app) == 0 and peaks.sweep_pending(container) == 0
