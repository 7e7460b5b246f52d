"""A `flask worker` SIGKILLed in the middle of a peak evaluation (its changes written, not
committed): the next worker's sweep queues the task again and it emits each event once, on the
queue's SQLite file and on Redis. The next worker is this process (sweep and drain: what
`flask worker` runs)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from models.services import peaks
from tests.api.test_communities_scenario import car
from tests.conftest import GRID, add_prosumer, make_key, make_test_app
from tests.events.test_delivery_kill import start_worker, wait_until
from tests.procs import reaped_env

T0 = "2030-11-07T15:45:00Z"
EVENTS = ["community.peak_started", "device.command"]


def test_a_worker_killed_mid_evaluation_is_retried_and_emits_each_event_once(
    tmp_path: Path, sqlite_template: Path, queue_settings: dict[str, str]
) -> None:
    db = tmp_path / "registry.db"
    shutil.copy(sqlite_template, db)
    settings = {
        "DATABASE_URL": f"sqlite:///{db}",
        "MONGO_URL": f"sqlite:///{tmp_path / 'documents.db'}",
        "LEDGER_URL": "eth-tester://",
        "LOG_LEVEL": "WARNING",
        **queue_settings,
    }
    app = make_test_app(settings["DATABASE_URL"], tmp_path, **settings)
    stores: Any = app.extensions["minigrid"]
    tasks = stores.task_queue()
    client, admin = app.test_client(), make_key(app, role="admin")
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json["id"]
    body = {"name": "Street", "peak_threshold_w": 2000}
    cid = client.post(f"/api/v1/grids/{grid}/communities", json=body, headers=admin).json["id"]
    house = add_prosumer(client, admin, grid, 1, community_id=cid)["id"]
    client.post(f"/api/v1/prosumers/{house}/assets", json=car(3000), headers=admin)
    put = client.put(
        f"/api/v1/prosumers/{house}/readings/{T0}",
        json={"produced_wh": 0, "consumed_wh": 1000},  # 4,000 W: a peak, the car paused
        headers=admin,
    )
    assert put.status_code == 200 and tasks.queued() == [peaks.EVALUATE_TASK]

    def feed() -> list[str]:
        return [e["type"] for e in client.get("/api/v1/events", headers=admin).json]

    with reaped_env() as env:
        env.update(settings, MINIGRID_CRASH_AT="peaks:evaluated")
        killed = start_worker(env)
        wait_until(lambda: killed.poll() is not None)  # it killed itself before its commit
    assert killed.returncode == -9 and feed() == []
    assert tasks.sweep() >= 1  # the next worker queues the dead one's task again...
    assert peaks.EVALUATE_TASK in tasks.queued()
    tasks.drain()  # ...and runs it
    assert feed() == EVENTS
    assert peaks.evaluate_pending(stores, grid) == peaks.NOTHING  # once more: nothing to emit
    assert feed() == EVENTS
    stores.close()
