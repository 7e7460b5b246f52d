"""Readiness names each failing dependency and answers even when one never responds."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_test_app


@pytest.fixture
def black_hole() -> Iterator[int]:
    """A port that accepts TCP connections and then never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def hold() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=hold, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    server.close()


def ready(app: Any) -> Any:
    """GET /health/ready in a thread; fail if it hangs instead of answering."""
    result: list[Any] = []
    worker = threading.Thread(target=lambda: result.append(app.test_client().get("/health/ready")))
    worker.start()
    worker.join(30)
    assert result, "readiness hung on a dead dependency"
    return result[0]


def test_live_and_ready(app: Any) -> None:
    from models.services.settlement.ledger_status import deploy_contract

    deploy_contract(app.extensions["minigrid"])
    response = ready(app)
    assert response.status_code == 200
    assert response.json["checks"] == {"sql": "ok", "documents": "ok", "chain": "ok"}


def test_dead_dependencies_are_named(tmp_path: Path, black_hole: int) -> None:
    app = make_test_app(
        "postgresql://postgres@127.0.0.1:1/nowhere",
        tmp_path,
        MONGO_URL=f"mongodb://127.0.0.1:{black_hole}/?directConnection=true",
        LEDGER_URL=f"http://127.0.0.1:{black_hole}",
        STORE_TIMEOUT_S=0.5,
    )
    try:
        response = ready(app)
    finally:
        app.extensions["minigrid"].close()
    assert response.status_code == 503
    assert response.content_type == "application/problem+json"
    checks = response.json["checks"]
    assert all(checks[name] != "ok" for name in ("sql", "documents", "chain")), checks
    for name in ("sql", "documents", "chain"):
        assert name in response.json["detail"]
