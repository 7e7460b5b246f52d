"""Requests/s of the read endpoints against a bare Flask app, same gunicorn, same load, one run."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import statistics
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
    """A bare Flask app: GET /bare/<n> returns the JSON body stored in $BENCH_BARE_JSON/<n>.json."""
    folder = Path(os.environ[BARE_JSON_ENV])
    bodies = {path.stem: path.read_bytes() for path in folder.glob("*.json")}
    app = Flask("bare")

    @app.get("/bare/<name>")
    def bare(name: str) -> Response:
        return Response(bodies[name], mimetype="application/json")

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
    paths: dict[str, str],
    token: str,
    tmp: Path,
    seconds: float = 4.0,
    clients: int = 4,
    rounds: int = 3,
) -> dict[str, Any]:
    """Each of `paths` on the running real app, then its bare twin, in turn, `rounds` times.

    Each round measures the real endpoint and the bare one back to back, so a busy neighbour slows
    both; the ratio printed is the median of the rounds' ratios.
    """
    headers = {"Authorization": f"Bearer {token}"}
    folder = tmp / "bare"
    folder.mkdir(exist_ok=True)
    for n, path in enumerate(paths.values()):
        (folder / f"{n}.json").write_bytes(wait_ok(f"http://127.0.0.1:{port}{path}", headers))
    bare = start_gunicorn(
        "tests.bench.bench_api:make_bare_app()", bare_port, {**env, BARE_JSON_ENV: str(folder)}
    )
    measured: dict[str, list[tuple[float, float]]] = {label: [] for label in paths}
    try:
        for n in range(len(paths)):
            got = json.loads(wait_ok(f"http://127.0.0.1:{bare_port}/bare/{n}", {}))
            assert got == json.loads((folder / f"{n}.json").read_bytes())
        for _ in range(rounds):
            for n, (label, path) in enumerate(paths.items()):
                real = requests_per_second(port, path, headers, seconds, clients)
                twin = requests_per_second(bare_port, f"/bare/{n}", headers, seconds, clients)
                measured[label].append((real, twin))
    finally:
        bare.terminate()
        bare.wait()
    return summary(measured) | {
        "load": f"{clients} client processes, {seconds:g} s per measurement, {rounds} rounds"
    }


def summary(measured: dict[str, list[tuple[float, float]]]) -> dict[str, Any]:
    """Per endpoint: median req/s of real and bare, and the median of the rounds' ratios."""
    rows: dict[str, Any] = {}
    for label, pairs in measured.items():
        real = statistics.median(r for r, _ in pairs)
        twin = statistics.median(b for _, b in pairs)
        ratios = ", ".join(f"{r / b:.2f}" for r, b in pairs)
        rows[f"{label}: real / bare req/s"] = f"{real:,.0f} / {twin:,.0f}"
        rows[f"{label}: ratio"] = f"{statistics.median(r / b for r, b in pairs):.2f} ({ratios})"
    return rows
