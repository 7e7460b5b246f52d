"""One process at a time per run: a live holder blocks, a dead or expired one does not."""

from __future__ import annotations

import subprocess
import sys

import pytest

from models.services.errors import Conflict
from models.services.settlement.lease import HOST
from models.services.settlement.plan import plan_month
from models.services.settlement.run import SETTLEMENTS
from models.services.settlement.settle import open_run, resume_run
from tests.settlement.world import MONTH

FUTURE, PAST = "2999-01-01T00:00:00Z", "2000-01-01T00:00:00Z"


def dead_pid() -> int:
    """The pid of a process that has exited."""
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout)


def leased(container, world, owner: str, until: str):  # type: ignore[no-untyped-def]
    run = open_run(container, plan_month(container, world.grid_id, MONTH))
    runs = container.documents.collection(SETTLEMENTS)
    assert runs.update(run.id, {"owner": owner, "lease_until": until})
    return run, runs


def test_a_live_holder_blocks_a_second_runner(container, world) -> None:
    run, runs = leased(container, world, f"{HOST}:1:other", FUTURE)  # pid 1 is alive
    with pytest.raises(Conflict, match="being run by"):
        resume_run(run)
    assert runs.get(run.id)["status"] == "planned" and run.sent == 0


@pytest.mark.parametrize("owner_until", ["dead", "expired", "other-host-expired"])
def test_a_dead_or_expired_holder_is_taken_over(container, world, owner_until: str) -> None:
    owner, until = {
        "dead": (f"{HOST}:{dead_pid()}:gone", FUTURE),
        "expired": (f"{HOST}:1:other", PAST),
        "other-host-expired": ("elsewhere:1:other", PAST),
    }[owner_until]
    run, runs = leased(container, world, owner, until)
    summary = resume_run(run)
    assert summary.status == "settled" and summary.sent_now >= 1
    assert runs.get(run.id)["owner"] is None  # released at the end


def test_a_holder_elsewhere_blocks_until_it_expires(container, world) -> None:
    run, _ = leased(container, world, "elsewhere:1:other", FUTURE)
    with pytest.raises(Conflict):
        resume_run(run)
