"""Settlement runs on the task queue: recorded in the request, run by a worker, idempotently."""

from __future__ import annotations

import logging

from models.domain import settlement_state as st
from models.ports import Stores
from models.services.settlement.adjusting import plan_period
from models.services.settlement.lease import LEASE, LeaseHeld, busy
from models.services.settlement.payments import PAYMENT_TASK, reconcile_payment
from models.services.settlement.queries import verifiable
from models.services.settlement.run import SETTLEMENTS, run_key
from models.services.settlement.settle import DEFAULT_BATCH, open_run, resume_run
from models.services.settlement.txs import SettlementFailed
from models.services.tasks import RetryLater, task

log = logging.getLogger("minigrid.settlement")
RUN_TASK = "settlement.run"
RETRIES, RETRY_S = 5, 5.0


def start_settlement(container: Stores, grid_id: str, month: str) -> tuple[str, bool]:
    """Plan (409 if open timeframes), record the run, queue it for a worker.

    Returns (status, started): a settled or in-progress run is not started again; a settled
    run whose contract is gone (chain reset) goes on to open_run, which refuses it (409).
    """
    key = run_key(grid_id, month)
    existing = container.documents.collection(SETTLEMENTS).get(key)
    if existing is not None:
        if existing["status"] == st.SETTLED and verifiable(container, existing):
            return st.SETTLED, False
        if busy(existing):  # a worker or a `flask settle` is on it
            return existing["status"], False
    run = open_run(container, plan_period(container, grid_id, month), DEFAULT_BATCH)
    container.tasks.enqueue(RUN_TASK, grid_id=grid_id, month=month)
    return run.status, True


@task(RUN_TASK, retries=RETRIES, retry_delay_s=RETRY_S)
def run_settlement(container: Stores, grid_id: str, month: str) -> str:
    """Resume the recorded run to its end (a settled run sends nothing); its final status.

    A chain outage or a receipt timeout (Unavailable) is retried by the queue; a run leased to
    another live process is looked at again once that lease could have run out.
    """
    run = open_run(container, plan_period(container, grid_id, month), DEFAULT_BATCH)
    try:
        return resume_run(run).status
    except LeaseHeld as exc:
        raise RetryLater(exc.detail, LEASE.total_seconds()) from exc
    except SettlementFailed as exc:  # recorded on the run; retrying would fail the same way
        log.error("%s", exc)
        return st.FAILED


@task(PAYMENT_TASK, retries=RETRIES, retry_delay_s=RETRY_S)
def reconcile_pending_payment(container: Stores, key: str, tx_hash: str) -> str:
    """Wait (TX_WAIT_S) for a pending payment and record it paid or due again."""
    return reconcile_payment(container, key, tx_hash)
