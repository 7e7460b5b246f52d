"""A `flask worker` SIGKILLed in the middle of a settlement run: the next worker picks the task up
again and finishes it, every credit paid once (anvil; the queue on SQLite and on Redis)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from models.queue.huey_tasks import HOST
from models.services.settlement.jobs import RUN_TASK, start_settlement
from models.services.settlement.run import ITEMS, SETTLEMENTS
from tests.procs import reaped_env
from tests.settlement.conftest import anvil_stores
from tests.settlement.world import MONTH, add_readings, build_grid, close_month

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.anvil


def start_worker(env: dict[str, str], crash: str | None = None) -> subprocess.Popen[str]:
    """`flask worker -w 1` on the test's stores, optionally SIGKILLing itself at a named point."""
    args = [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "-w", "1"]
    run_env = {**env, "MINIGRID_CRASH_AT": crash or ""}
    return subprocess.Popen(args, env=run_env, cwd=ROOT, stdout=subprocess.DEVNULL, text=True)


def wait_for(check: Any, proc: subprocess.Popen[str], timeout_s: float = 90.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert proc.poll() is None, f"the worker exited with {proc.returncode}"
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_worker_killed_mid_run_leaves_the_task_to_the_next_worker(
    anvil_url: str, sqlite_template: Path, tmp_path: Path, queue_settings: dict[str, str]
) -> None:
    env, container = anvil_stores(anvil_url, sqlite_template, tmp_path, **queue_settings)
    env.update(queue_settings)
    accounts = [Account.create() for _ in range(10)]
    world = build_grid(container, [a.address for a in accounts])
    add_readings(container, world)
    close_month(container, world)
    before = [container.chain.balance(a.address) for a in accounts]
    assert start_settlement(container, world.grid_id, MONTH) == ("planned", True)
    tasks, runs = container.task_queue(), container.documents.collection(SETTLEMENTS)
    key = f"{world.grid_id}:{MONTH}"
    with reaped_env({**os.environ, **env}) as proc_env:
        killed = start_worker(proc_env, crash="after_broadcast:2")  # root sent, then batch 1
        assert killed.wait(timeout=90) == -9
        assert runs.get(key)["status"] == "paying"
        assert list(tasks.in_flight().values()) == [f"{HOST}:{killed.pid}"]
        assert RUN_TASK not in tasks.queued()  # huey took it off the queue: only the record has it
        worker = start_worker(proc_env)
        wait_for(lambda: runs.get(key)["status"] == "settled", worker)
        wait_for(lambda: not tasks.in_flight(), worker)
        worker.terminate()
        assert worker.wait(timeout=30) in (0, -15)
    items = container.documents.collection(ITEMS).find({"run": key})
    credits = {i["account"]: int(i["amount_wei"]) for i in items if i["kind"] == "credit"}
    assert len(credits) >= 4 and runs.get(key)["owner"] is None
    for account, was in zip(accounts, before, strict=True):
        assert container.chain.balance(account.address) - was == credits.get(account.address, 0)
    assert RUN_TASK not in tasks.queued()  # (periodic tasks the workers offered may wait)
    container.close()
