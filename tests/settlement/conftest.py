"""Fixtures: a container with a deployed contract; a settled-able world on eth-tester."""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ledger.anvil import ANVIL_BIN, start_anvil, stop_anvil
from models.services.settlement.ledger_status import deploy_contract
from tests.conftest import make_test_app
from tests.queue.fixtures import queue_settings  # noqa: F401 (the worker crash tests)
from tests.settlement.world import World, add_readings, build_grid, close_month


@pytest.fixture
def container(app: Any) -> Any:
    """The app's container with the Settlement contract deployed on its eth-tester chain."""
    container = app.extensions["minigrid"]
    deploy_contract(container)
    return container


@pytest.fixture
def accounts() -> list[Any]:
    """Five fresh prosumer keys (never funded)."""
    return [Account.create() for _ in range(5)]


@pytest.fixture
def world(container: Any, accounts: list[Any]) -> World:
    """A grid whose October is closed, with trades on its first three days."""
    world = build_grid(container, [a.address for a in accounts])
    add_readings(container, world)
    close_month(container, world)
    return world


BLOCK_TIMES = {"instant": None, "block-time-2": 2}


@pytest.fixture(scope="module", params=["instant"])
def anvil_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """An anvil node for the module, mining instantly or (indirect param) every 2 s."""
    if not ANVIL_BIN.exists():
        if os.environ.get("CI"):
            pytest.fail(f"anvil not installed at {ANVIL_BIN} (CI must not skip this)")
        pytest.skip(f"anvil not installed at {ANVIL_BIN}")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = start_anvil(port, None, block_time=BLOCK_TIMES[request.param])
    yield f"http://127.0.0.1:{port}"
    stop_anvil(proc)


def anvil_stores(
    anvil_url: str, sqlite_template: Path, tmp_path: Path, **config: Any
) -> tuple[dict[str, str], Any]:
    """Env for `flask settle` and a container on the same stores with a fresh contract."""
    env, app = anvil_app(anvil_url, sqlite_template, tmp_path, **config)
    return env, app.extensions["minigrid"]


def anvil_app(
    anvil_url: str, sqlite_template: Path, tmp_path: Path, **config: Any
) -> tuple[dict[str, str], Any]:
    """Env for `flask settle` and an app on the same stores with a fresh contract."""
    db = tmp_path / "registry.db"
    shutil.copy(sqlite_template, db)
    env = {
        "DATABASE_URL": f"sqlite:///{db}",
        "MONGO_URL": f"sqlite:///{tmp_path / 'documents.db'}",
        "LEDGER_URL": anvil_url,
        "LOG_LEVEL": "WARNING",
    }
    app = make_test_app(env["DATABASE_URL"], tmp_path, LEDGER_URL=anvil_url, **config)
    deploy_contract(app.extensions["minigrid"])
    return env, app


def anvil_rpc(container: Any, method: str, *params: Any) -> Any:
    """Call one of anvil's own methods (evm_mine, evm_snapshot, ...) and return its result."""
    answer = container.chain.w3.provider.make_request(method, list(params))
    assert "error" not in answer, answer
    return answer["result"]
