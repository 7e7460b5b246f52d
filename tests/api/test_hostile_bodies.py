"""Hostile JSON bodies against the real gunicorn server: a problem answer, and the worker lives."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.config import TYPES
from tests.api.test_devserver import ROOT, free_port
from tests.conftest import make_key, make_test_app

DEEP = b"[" * 100_000 + b"]" * 100_000  # 200 KB; recursing through it overflowed the C stack
LONG = b"[" + b"0," * 300_000 + b"0]"


class Server:
    def __init__(self, base: str, headers: dict[str, str], log: Path) -> None:
        self.base, self.headers, self.log = base, headers, log

    def send(self, method: str, path: str, body: bytes | None, **headers: str) -> Any:
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers={**self.headers, **headers}
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()


def _wait_ready(base: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            with urllib.request.urlopen(base + "/health/live", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise AssertionError("gunicorn not ready:\n" + log.read_text(errors="replace"))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, sqlite_template: Path) -> Iterator[Server]:
    """`gunicorn -w 1 wsgi:app` on a SQLite registry, with an admin key."""
    tmp = tmp_path_factory.mktemp("gunicorn")
    shutil.copy(sqlite_template, tmp / "registry.db")
    settings = {
        "DATABASE_URL": f"sqlite:///{tmp / 'registry.db'}",
        "MONGO_URL": f"sqlite:///{tmp / 'documents.db'}",
        "LEDGER_URL": "eth-tester://",
        "LOG_LEVEL": "WARNING",
    }
    app = make_test_app(settings["DATABASE_URL"], tmp)
    headers = make_key(app, role="admin")
    app.extensions["minigrid"].close()
    port, log = free_port(), tmp / "gunicorn.log"
    env = {k: v for k, v in os.environ.items() if k not in TYPES and k != "MINIGRID_SETTINGS"}
    args = [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}", "wsgi:app"]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            args, cwd=ROOT, env={**env, **settings}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_ready(base, proc, log)
        yield Server(base, headers, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def workers_booted(server: Server) -> int:
    return server.log.read_text(errors="replace").count("Booting worker")


@pytest.mark.parametrize(
    ("body", "status"),
    [(DEEP, 400), (b"[" * 100_000, 400), (LONG, 413)],
    ids=["deep", "open", "long"],
)
def test_hostile_bodies_get_a_problem_and_the_worker_survives(
    server: Server, body: bytes, status: int
) -> None:
    json_type = {"Content-Type": "application/json"}
    for _ in range(3):
        code, headers, answer = server.send("POST", "/api/v1/grids", body, **json_type)
        assert code == status, answer[:300]
        assert headers["Content-Type"] == "application/problem+json"
        assert "JSON" in json.loads(answer)["detail"]
    code, _, answer = server.send("GET", "/api/v1/grids", None)
    assert code == 200, answer[:300]
    assert workers_booted(server) == 1, server.log.read_text(errors="replace")


def test_a_json_body_sent_as_text_is_415(server: Server) -> None:
    body = json.dumps({"name": "x"}).encode()
    code, headers, answer = server.send(
        "POST", "/api/v1/grids", body, **{"Content-Type": "text/plain"}
    )
    assert code == 415 and headers["Content-Type"] == "application/problem+json"
    assert "application/json" in json.loads(answer)["detail"]
