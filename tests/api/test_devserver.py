"""`make run` for real: the devserver starts anvil and gunicorn, stops on SIGINT, keeps data."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from api.config import TYPES
from ledger.anvil import ANVIL_BIN
from tests.events.receiver import receiver
from tests.procs import reaped_env

ROOT = Path(__file__).resolve().parents[2]
GRID = {
    "name": "kept",
    "timezone": "Europe/Berlin",
    "timeframe_minutes": 15,
    "currency": "EUR",
    "import_price": "0.30",
    "feed_in_price": "0.08",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_anvil() -> None:
    """Skip when anvil is not installed, except under CI where it must be."""
    if not ANVIL_BIN.exists():
        message = f"anvil not installed at {ANVIL_BIN}: run `npm ci`"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)


def plain_env() -> dict[str, str]:
    """The environment without the store settings the tests set (as a user's shell has it)."""
    return {k: v for k, v in os.environ.items() if k not in TYPES and k != "MINIGRID_SETTINGS"}


def start(
    var: Path, port: int, ledger_port: int, log: Path, env: dict[str, str], *extra: str
) -> subprocess.Popen[bytes]:
    """The devserver as `make run` starts it, in `env` (see `plain_env`, `reaped_env`)."""
    args = [
        sys.executable,
        "-m",
        "api.devserver",
        "--port",
        str(port),
        "--ledger-port",
        str(ledger_port),
        "--var",
        str(var),
        "--mqtt-port",
        str(free_port()),
        *extra,
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def wait_line(proc: subprocess.Popen[bytes], log: Path, text: str, timeout_s: float = 60) -> str:
    """Wait until the devserver prints `text`; return the whole log."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if text in output:
            return output
        assert proc.poll() is None, output
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not printed:\n{log.read_text(errors='replace')}")


def stop(proc: subprocess.Popen[bytes], log: Path) -> str:
    """SIGINT like Ctrl-C; the devserver must exit 0 and say the data is kept."""
    proc.send_signal(signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    return wait_line(proc, log, "stopped (data kept")


def http(method: str, url: str, token: str, body: Any = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    with urllib.request.urlopen(request, timeout=10) as resp:
        return json.load(resp)


def test_devserver_restart_keeps_data(tmp_path: Path) -> None:
    require_anvil()
    local_hooks = {**plain_env(), "WEBHOOK_ALLOWED_NETWORKS": "127.0.0.0/8"}
    with reaped_env(local_hooks) as env:  # no anvil or gunicorn outlives a failure
        restart_keeps_data(tmp_path, env)


def restart_keeps_data(tmp_path: Path, env: dict[str, str]) -> None:
    """Start without the demo (the store stays empty), create a grid, stop with SIGINT, start
    again: the grid, key and contract are kept."""
    port, ledger_port = free_port(), free_port()
    base, log = f"http://127.0.0.1:{port}", tmp_path / "first.log"
    proc = start(tmp_path / "var", port, ledger_port, log, env, "--no-demo")
    try:
        output = wait_line(proc, log, "ready: Swagger UI")
        assert "deployed Settlement" in output and "demo grid" not in output
        assert "mqtt broker: aedes (embedded) on 127.0.0.1:" in output
        assert (
            f"task worker: flask worker (2 threads) on sqlite:///{tmp_path}/var/queue.db" in output
        )
        assert "mosquitto_sub -h 127.0.0.1 -p" in output and "Webhook(secret).verify" in output
        token = output.split("first admin key (shown once, keep it): ")[1].split()[0]
        assert http("GET", f"{base}/api/v1/grids", token) == []
        grid = http("POST", f"{base}/api/v1/grids", token, GRID)
        delivered_by_the_worker(base, token, grid["id"])
        stop(proc, log)
        assert (tmp_path / "var" / "anvil-state.json").stat().st_size > 0
        log = tmp_path / "second.log"
        proc = start(tmp_path / "var", port, ledger_port, log, env)  # the demo is on by default
        output = wait_line(proc, log, "demo grid: none (the store has other grids)")
        output = wait_line(proc, log, "ready: Swagger UI")
        assert "first admin key" not in output and "deployed" not in output
        assert "an admin key exists; another: .venv/bin/flask --app wsgi keys create" in output
        assert [g["name"] for g in http("GET", f"{base}/api/v1/grids", token)] == ["kept"]
        assert "chain" in http("GET", f"{base}/health/ready", token)["checks"]
        stop(proc, log)
    finally:
        halt(proc)


def delivered_by_the_worker(base: str, token: str, grid_id: str) -> None:
    """A webhook gets a closed timeframe's event, signed, from `make run`'s task worker."""
    with receiver() as recv:
        hook = http("POST", f"{base}/api/v1/webhooks", token, {"url": recv.url})
        close = f"{base}/api/v1/grids/{grid_id}/timeframes/2026-10-05T10:00:00Z/close"
        http("POST", close, token, {})
        recv.wait_for(1, timeout_s=60)  # the worker's next delivery pass (every second)
        headers, body = recv.requests[0]
        assert Webhook(hook["secret"]).verify(body, headers)["type"] == "timeframe.closed"


def halt(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM a devserver still running (it stops its children); SIGKILL it after 30 s."""
    if proc.poll() is None:
        proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)  # its own session; anvil and gunicorn: reaped_env
        proc.wait()
