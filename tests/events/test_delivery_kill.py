"""A `flask worker` SIGKILLed mid-send: its delivery pass is queued again by the next worker's
sweep and the delivery arrives (at least once, one `webhook-id`), on the queue's SQLite file and
on Redis. The next worker is this process (sweep, periodic ticks, drain: what `flask worker`
runs), which saves a second worker's start-up."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook

from models.domain import events as ev
from models.queue.huey_tasks import HOST
from models.services.events import record_event
from tests.conftest import GRID, make_key, make_test_app
from tests.events.receiver import receiver
from tests.procs import reaped_env

ROOT = Path(__file__).resolve().parents[2]
DEADLINE_S = 120.0  # generous: worker start-up on a loaded machine; met in seconds when idle


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "-w", "1"]
    return subprocess.Popen(args, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)


def wait_until(check: Callable[[], Any], proc: subprocess.Popen[bytes] | None = None) -> Any:
    """Poll `check` until it is true; fail if the worker exits or the deadline passes."""
    deadline = time.monotonic() + DEADLINE_S
    while not (value := check()):
        assert proc is None or proc.poll() is None, f"the worker exited with {proc.returncode}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)
    return value


def test_a_killed_delivery_is_retried_and_arrives(
    tmp_path: Path, sqlite_template: Path, queue_settings: dict[str, str]
) -> None:
    db = tmp_path / "registry.db"
    shutil.copy(sqlite_template, db)
    settings = {
        "DATABASE_URL": f"sqlite:///{db}",
        "MONGO_URL": f"sqlite:///{tmp_path / 'documents.db'}",
        "LEDGER_URL": "eth-tester://",
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "WEBHOOK_TIMEOUT_S": "30",  # this process's sends: never cut short by a loaded machine
        "LOG_LEVEL": "WARNING",
        **queue_settings,
    }
    app = make_test_app(settings["DATABASE_URL"], tmp_path, **settings)
    stores: Any = app.extensions["minigrid"]
    tasks = stores.task_queue()
    client, admin = app.test_client(), make_key(app, role="admin")
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json["id"]

    def delivery() -> Any:
        with stores.uow(write=False) as uow:
            (row,), _ = uow.webhooks.deliveries(hook["id"], 1, 10)
            return row

    with receiver() as recv, reaped_env() as env:
        recv.hold = threading.Event()  # the first request is never answered
        hook = client.post("/api/v1/webhooks", json={"url": recv.url}, headers=admin).json
        with stores.uow() as uow:
            evt = record_event(uow, ev.TIMEFRAME_CLOSED, grid, {"start": "2026-10-05T10:00:00Z"})
            uow.commit()
        env.update(settings, WEBHOOK_TIMEOUT_S="1")  # the killed worker's lease: 3 s
        worker: list[subprocess.Popen[bytes]] = []

        def kill_mid_send() -> None:
            """In the receiver, as the request arrives: the worker is waiting for the answer."""
            recv.on_request = None
            worker[0].send_signal(signal.SIGKILL)

        recv.on_request = kill_mid_send
        worker.append(start_worker(env))  # seconds of start-up before its first pass
        killed = worker[0]
        wait_until(lambda: killed.poll() is not None)
        assert killed.returncode == -signal.SIGKILL and len(recv.requests) == 1
        recv.hold.set()
        row = delivery()
        assert row.status == "pending" and row.lease_until is not None  # leased, unfinished
        assert f"{HOST}:{killed.pid}" in tasks.in_flight().values()  # the pass it was running
        assert tasks.sweep() == 1 and tasks.in_flight() == {}  # the next worker takes it over
        assert tasks.drain() >= 1  # the pass runs again: the delivery is still leased

        def next_passes() -> bool:
            tasks.tick()
            tasks.drain()
            return bool(delivery().status == "succeeded")

        wait_until(next_passes)  # sent again once its lease ran out
    assert len(recv.requests) == 2
    for headers, body in recv.requests:
        assert Webhook(hook["secret"]).verify(body, headers)["type"] == "timeframe.closed"
        assert headers["webhook-id"] == evt["id"]
    assert delivery().attempts == 1
    stores.close()
