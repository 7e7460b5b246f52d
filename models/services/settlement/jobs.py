"""Starting a settlement run in a background thread of this worker, idempotently."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from models.domain import settlement_state as st
from models.ports import Stores
from models.services.errors import Unavailable
from models.services.settlement.lease import busy
from models.services.settlement.plan import plan_month
from models.services.settlement.queries import verifiable
from models.services.settlement.run import SETTLEMENTS, run_key
from models.services.settlement.settle import DEFAULT_BATCH, open_run, resume_run

log = logging.getLogger("minigrid.settlement")
_running: set[str] = set()
RETRIES, RETRY_S = 5, 5.0
_lock = threading.Lock()


def start_settlement(container: Stores, grid_id: str, month: str) -> tuple[str, bool]:
    """Plan (409 if open timeframes), record the run, resume it in a daemon thread.

    Returns (status, started): a settled or in-progress run is not started again; a settled
    run whose contract is gone (chain reset) goes on to open_run, which refuses it (409).
    """
    key = run_key(grid_id, month)
    existing = container.documents.collection(SETTLEMENTS).get(key)
    if existing is not None:
        if existing["status"] == st.SETTLED and verifiable(container, existing):
            return st.SETTLED, False
        if busy(existing):  # another worker or a `flask settle` is on it
            return existing["status"], False
    plan = plan_month(container, grid_id, month)
    with _lock:
        if key in _running:
            return existing["status"] if existing else st.PLANNED, False
        run = open_run(container, plan, DEFAULT_BATCH)
        _running.add(key)
    threading.Thread(target=_work, args=(run, key), daemon=True, name=f"settle-{key}").start()
    return st.PLANNED, True


def _work(run: Any, key: str) -> None:
    """Resume the run, again after a chain outage or timeout; failures are recorded on the run."""
    try:
        for attempt in range(1, RETRIES + 1):
            try:
                if attempt > 1:  # re-read the recorded state
                    run = open_run(run.container, run.plan, run.batch_size)
                resume_run(run)
                return
            except Unavailable as exc:  # node down or tx not mined in time: re-check on resume
                log.warning("settlement %s paused (%d/%d): %s", key, attempt, RETRIES, exc.detail)
                time.sleep(RETRY_S)
    except Exception:  # recorded on the run; the thread must not die loudly
        log.exception("settlement %s stopped", key)
    finally:
        with _lock:
            _running.discard(key)


def wait_idle(timeout_s: float = 10.0) -> None:
    """Wait for this worker's settlement threads (tests, shutdown)."""
    for thread in threading.enumerate():
        if thread.name.startswith("settle-"):
            thread.join(timeout_s)
