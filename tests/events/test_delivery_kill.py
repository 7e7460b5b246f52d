"""A delivery worker SIGKILLed mid-send: the delivery is sent again by the next pass, not lost."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

from standardwebhooks.webhooks import Webhook

from models.domain import events as ev
from models.services.events import record_event
from models.services.webhooks import deliver_webhooks
from tests.conftest import GRID, make_key, make_test_app
from tests.events.receiver import receiver
from tests.procs import reaped_env

ROOT = Path(__file__).resolve().parents[2]


def test_a_killed_delivery_is_retried_and_arrives(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "registry.db"
    shutil.copy(sqlite_template, db)
    settings = {
        "DATABASE_URL": f"sqlite:///{db}",
        "MONGO_URL": f"sqlite:///{tmp_path / 'documents.db'}",
        "LEDGER_URL": "eth-tester://",
        "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8",
        "WEBHOOK_TIMEOUT_S": "1",
        "LOG_LEVEL": "WARNING",
    }
    app = make_test_app(settings["DATABASE_URL"], tmp_path, **settings)
    stores: Any = app.extensions["minigrid"]
    client, admin = app.test_client(), make_key(app, role="admin")
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json["id"]
    with receiver() as recv, reaped_env() as env:
        recv.hold = threading.Event()  # the first request is never answered
        hook = client.post("/api/v1/webhooks", json={"url": recv.url}, headers=admin).json
        with stores.uow() as uow:
            evt = record_event(uow, ev.TIMEFRAME_CLOSED, grid, {"start": "2026-10-05T10:00:00Z"})
            uow.commit()
        env.update(settings)
        command = [sys.executable, "-m", "flask", "--app", "wsgi", "deliver-webhooks"]
        worker = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.DEVNULL)
        recv.wait_for(1)  # the worker leased the delivery and is sending it: kill it now
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
        recv.hold.set()
        with stores.uow(write=False) as uow:
            (row,), _ = uow.webhooks.deliveries(hook["id"], 1, 10)
            assert row.status == "pending" and row.lease_until is not None  # leased, unfinished
        deadline = time.monotonic() + 20
        while deliver_webhooks(stores).succeeded == 0:  # nothing until the lease runs out
            assert time.monotonic() < deadline, "the killed delivery was never sent again"
            time.sleep(0.2)
        assert len(recv.requests) == 2
    for headers, body in recv.requests:
        assert Webhook(hook["secret"]).verify(body, headers)["type"] == "timeframe.closed"
        assert headers["webhook-id"] == evt["id"]
    with stores.uow(write=False) as uow:
        (row,), _ = uow.webhooks.deliveries(hook["id"], 1, 10)
        assert row.status == "succeeded" and row.attempts == 1
    stores.close()
