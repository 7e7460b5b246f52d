"""Requests/s of GET /api/v1/prosumers/{id} against a bare Flask app, same gunicorn, same load."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from flask import Flask, Response

ROOT = Path(__file__).resolve().parents[2]
GUNICORN_FLAGS = ("-w", "2", "--timeout", "300", "--no-control-socket", "--log-level", "warning")
BARE_JSON_ENV = "BENCH_BARE_JSON"


def make_bare_app() -> Flask:
    """A bare Flask app whose one endpoint returns the JSON body stored in $BENCH_BARE_JSON."""
    body = Path(os.environ[BARE_JSON_ENV]).read_bytes()
    app = Flask("bare")

    @app.get("/bare")
    def bare() -> Response:
        return Response(body, mimetype="application/json")

    return app


def start_gunicorn(target: str, port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    """Start gunicorn (2 sync workers on 127.0.0.1:port) serving `target`."""
    args = [sys.executable, "-m", "gunicorn", *GUNICORN_FLAGS, "-b", f"127.0.0.1:{port}", target]
    return subprocess.Popen(
        args, cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.DEVNULL, start_new_session=True
    )


def wait_ok(url: str, headers: dict[str, str], timeout_s: float = 30.0) -> bytes:
    """GET `url` until it answers 200; return the body."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers)) as resp:
                return bytes(resp.read())
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _hammer(args: tuple[int, str, dict[str, str], float]) -> tuple[int, int]:
    """One client: GET path on a kept-alive (reopened when closed) connection until the deadline."""
    port, path, headers, deadline = args
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    ok = bad = 0
    while time.time() < deadline:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        resp.read()
        if resp.status == 200:
            ok += 1
        else:
            bad += 1
    conn.close()
    return ok, bad


def requests_per_second(
    port: int, path: str, headers: dict[str, str], seconds: float, clients: int
) -> float:
    """Requests/s of `clients` processes GETting `path` for `seconds` (1 s warm-up first)."""
    with multiprocessing.get_context("fork").Pool(clients) as pool:
        pool.map(_hammer, [(port, path, headers, time.time() + 1.0)] * clients)
        began = time.time()
        results = pool.map(_hammer, [(port, path, headers, began + seconds)] * clients)
        elapsed = time.time() - began
    ok = sum(r[0] for r in results)
    bad = sum(r[1] for r in results)
    if bad:
        raise RuntimeError(f"{bad} non-200 answers from {path}")
    return ok / elapsed


def call(port: int, method: str, path: str, headers: dict[str, str], body: Any = None) -> Any:
    """One HTTP request to 127.0.0.1:port; return (status, parsed JSON body or None)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    data = None if body is None else json.dumps(body).encode()
    sent = {**headers, "Content-Type": "application/json"} if data else headers
    try:
        conn.request(method, path, body=data, headers=sent)
        resp = conn.getresponse()
        raw = resp.read()
    finally:
        conn.close()
    return resp.status, json.loads(raw) if raw else None


def run(
    env: dict[str, str],
    port: int,
    bare_port: int,
    path: str,
    token: str,
    tmp: Path,
    seconds: float = 5.0,
    clients: int = 4,
) -> dict[str, Any]:
    """Measure `path` on the running real app, then the bare app, same load; return the numbers."""
    headers = {"Authorization": f"Bearer {token}"}
    body = wait_ok(f"http://127.0.0.1:{port}{path}", headers)
    real_rps = requests_per_second(port, path, headers, seconds, clients)
    (tmp / "bare.json").write_bytes(body)
    bare_env = {**env, BARE_JSON_ENV: str(tmp / "bare.json")}
    bare = start_gunicorn("tests.bench.bench_api:make_bare_app()", bare_port, bare_env)
    try:
        assert json.loads(wait_ok(f"http://127.0.0.1:{bare_port}/bare", {})) == json.loads(body)
        bare_rps = requests_per_second(bare_port, "/bare", headers, seconds, clients)
    finally:
        bare.terminate()
        bare.wait()
    return {
        "api_rps": real_rps,
        "bare_rps": bare_rps,
        "ratio": real_rps / bare_rps,
        "clients": clients,
        "seconds": seconds,
    }
