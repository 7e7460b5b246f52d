"""A background run paused by a chain outage or receipt timeout goes on by itself."""

from __future__ import annotations

from typing import Any

import pytest

from models.services.errors import Unavailable
from models.services.settlement import jobs as settlement_jobs
from models.services.settlement.jobs import start_settlement, wait_idle
from models.services.settlement.run import SETTLEMENTS
from tests.settlement.world import MONTH


def test_a_paused_background_run_resumes_and_settles(
    container: Any, world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    real, calls = settlement_jobs.resume_run, []

    def flaky(run: Any) -> Any:
        calls.append(run)
        if len(calls) == 1:
            raise Unavailable("transaction 0x… not mined within 300s")
        return real(run)

    monkeypatch.setattr(settlement_jobs, "resume_run", flaky)
    monkeypatch.setattr(settlement_jobs, "RETRY_S", 0.0)
    assert start_settlement(container, world.grid_id, MONTH) == ("planned", True)
    wait_idle()
    assert len(calls) == 2 and calls[0] is not calls[1]  # re-opened from the store
    run = container.documents.collection(SETTLEMENTS).get(f"{world.grid_id}:{MONTH}")
    assert run["status"] == "settled" and run["owner"] is None
