"""Settlement runs on the task queue: queued by the request, run by a worker, retried."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from models.services.errors import Unavailable
from models.services.settlement import jobs as settlement_jobs
from models.services.settlement.jobs import RUN_TASK, start_settlement
from models.services.settlement.lease import claim, new_holder, release
from models.services.settlement.run import SETTLEMENTS
from models.services.tasks import REGISTRY, lookup
from tests.settlement.world import MONTH


def test_a_paused_run_is_retried_by_the_queue_and_settles(
    container: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, calls = settlement_jobs.resume_run, []

    def flaky(run: Any) -> Any:
        calls.append(run)
        if len(calls) == 1:
            raise Unavailable("transaction 0x… not mined within 300s")
        return real(run)

    monkeypatch.setattr(settlement_jobs, "resume_run", flaky)
    monkeypatch.setitem(REGISTRY, RUN_TASK, replace(lookup(RUN_TASK), retry_delay_s=0.0))
    assert start_settlement(container, world.grid_id, MONTH) == ("planned", True)
    assert calls == []  # the request only recorded and queued the run
    assert container.task_queue().drain() == 2  # the first attempt, then its retry
    assert len(calls) == 2 and calls[0] is not calls[1]  # re-opened from the store
    run = container.documents.collection(SETTLEMENTS).get(f"{world.grid_id}:{MONTH}")
    assert run["status"] == "settled" and run["owner"] is None
    assert start_settlement(container, world.grid_id, MONTH) == ("settled", False)
    assert container.task_queue().pending() == 0


def test_a_run_leased_elsewhere_is_looked_at_again_later(container: Any, world: Any) -> None:
    assert start_settlement(container, world.grid_id, MONTH) == ("planned", True)
    runs, key = container.documents.collection(SETTLEMENTS), f"{world.grid_id}:{MONTH}"
    holder = new_holder()  # this live process holds the lease, as a `flask settle` would
    claim(runs, key, holder)
    tasks = container.task_queue()
    assert tasks.drain(timeout_s=0.5) == 1
    assert runs.get(key)["status"] == "planned" and tasks.pending() == 1  # scheduled again
    release(runs, key, holder)
    scheduled = tasks.huey.scheduled()
    assert len(scheduled) == 1 and scheduled[0].retries == settlement_jobs.RETRIES  # not used up
