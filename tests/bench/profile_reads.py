"""Per-request cost of the read endpoints, one process calling the app directly (no HTTP).

`python -m tests.bench.profile_reads [requests]` prints µs per request of each read and of a
bare Flask app returning the same bytes, then a cProfile breakdown of the single read by part.
"""

from __future__ import annotations

import cProfile
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response

from tests.bench import bench_market, bench_metering
from tests.documents.samples import ts

PROSUMERS = 10_000
SLOTS = 960
# (label, predicate on a pstats key (file, line, function)); cumulative time, first match wins
PARTS: list[tuple[str, Callable[[tuple[str, int, str]], bool]]] = [
    ("authentication", lambda k: k[0].endswith("auth/policy.py") and k[2] == "_authenticate"),
    ("rate limiter", lambda k: "flask_limiter" in k[0] and k[2] in ("_check_request_limit",)),
    ("rate limiter headers", lambda k: "flask_limiter" in k[0] and "inject_headers" in k[2]),
    ("cookie session", lambda k: k[0].endswith("flask/sessions.py") and "session" in k[2]),
    ("request log", lambda k: k[0].endswith("api/requestlog.py") and k[2] in ("_start", "_finish")),
    ("view (decorators, read, dump)", lambda k: k[0].endswith("flask/views.py") and k[2] == "view"),
]
# a list read's parts inside the view (and the unknown-parameter check before it)
LIST_PARTS: list[tuple[str, Callable[[tuple[str, int, str]], bool]]] = [
    (
        "in view: page query, recent total",
        lambda k: k[2] in ("list_prosumers", "list_transactions") and "models/services" in k[0],
    ),
    (
        "in view: query arguments (webargs)",
        lambda k: k[2] == "parse" and k[0].endswith(("api/smorest.py", "webargs/core.py")),
    ),
    ("in rest: unknown query parameters", lambda k: k[2] == "refuse_unknown_query"),
    (
        "in view: paging headers",
        lambda k: k[0].endswith("api/smorest.py") and k[2] == "page_headers",
    ),
    (
        "in view: body from cached fragments",
        lambda k: k[0].endswith("representations.py") and k[2] == "array",
    ),
]


def seed(tmp: Path, slots: int = SLOTS) -> tuple[Any, dict[str, str], dict[str, str]]:
    """An app on fresh stores in `tmp` with a grid, prosumers and trades; its paths and key."""
    os.environ.update(
        DATABASE_URL=f"sqlite:///{tmp / 'minigrid.db'}",
        MONGO_URL=f"sqlite:///{tmp / 'documents.db'}",
        LEDGER_URL="eth-tester://",
        LOG_LEVEL="WARNING",
        WRITE_RATE_LIMIT="1000000/minute",
    )
    from api import create_app
    from migrations.runner import upgrade
    from models.services import keys

    upgrade(os.environ["DATABASE_URL"])
    app = create_app()
    container = app.extensions["minigrid"]
    with container.uow() as uow:
        _, token = keys.create_key(uow, {"role": "admin", "name": "profile"})
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    grid = client.post("/api/v1/grids", json=bench_metering.GRID, headers=headers).json
    ids = bench_metering.seed_prosumers(container, grid["id"], PROSUMERS)
    bench_market.fill_month(container, grid["id"], ids[0], ids[1:4], slots)
    paths = {
        "single": f"/api/v1/prosumers/{ids[0]}",
        "prosumers page": f"/api/v1/grids/{grid['id']}/prosumers?page_size=100",
        "transactions page": f"/api/v1/grids/{grid['id']}/transactions?from={ts(0)}&to={ts(SLOTS)}",
    }
    return app, paths, headers


def per_request_us(client: Any, path: str, headers: dict[str, str], count: int) -> float:
    """Mean µs of `count` GETs."""
    began = time.perf_counter()
    for _ in range(count):
        client.get(path, headers=headers)
    return (time.perf_counter() - began) / count * 1e6


def real_and_bare_us(
    client: Any, path: str, headers: dict[str, str], count: int, rounds: int = 10
) -> tuple[float, float, bytes]:
    """Best-round mean µs of the read and of a bare Flask app returning its bytes, interleaved
    (a shared, busy machine slows some rounds; the best round of each is the comparable one)."""
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data()
    body = response.get_data()
    bare = Flask("bare")
    bare.get("/bare")(lambda: Response(body, mimetype="application/json"))
    bare_client = bare.test_client()
    per_round = max(count // rounds, 1)
    real_us, bare_us = [], []
    for _ in range(rounds):
        real_us.append(per_request_us(client, path, headers, per_round))
        bare_us.append(per_request_us(bare_client, "/bare", {}, per_round))
    return min(real_us), min(bare_us), body


def breakdown(
    client: Any, path: str, headers: dict[str, str], count: int, parts: Any = None
) -> dict[str, float]:
    """µs per request of each part in `parts` (PARTS; cumulative), and the rest."""
    per_request_us(client, path, headers, 100)
    profile = cProfile.Profile()
    began = time.perf_counter()
    profile.enable()
    for _ in range(count):
        client.get(path, headers=headers)
    profile.disable()
    total = (time.perf_counter() - began) / count * 1e6
    stats = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    found: dict[str, float] = {}
    for key, (_cc, _nc, _tt, cumulative, _callers) in stats.items():
        for label, matches in parts or PARTS:
            if matches(key):
                found[label] = found.get(label, 0.0) + cumulative / count * 1e6
                break
    top = sum(us for label, us in found.items() if not label.startswith("in "))
    found["Flask, werkzeug and test client (rest)"] = total - top
    found["total (under cProfile)"] = total
    return found


def main() -> None:
    """Seed, then print µs per request of each read, its bare twin and the single read's parts.

    `profile_reads N single`: only the single read (no trades seeded).
    """
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    single = sys.argv[2:] == ["single"]
    with tempfile.TemporaryDirectory(prefix="minigrid-profile-") as name:
        app, paths, headers = seed(Path(name), 1 if single else SLOTS)
        client = app.test_client()
        for label, path in paths.items():
            if single and label != "single":
                continue
            real, bare, body = real_and_bare_us(client, path, headers, count)
            print(f"{label:<18} {real:8.0f} µs   bare {bare:5.0f} µs   {len(body):,} bytes")
        print("\nsingle read, parts (µs per request, cumulative under cProfile):")
        for label, us in breakdown(client, paths["single"], headers, count).items():
            print(f"  {label:<40} {us:7.0f}")
        for label in () if single else ("prosumers page", "transactions page"):
            print(f"\n{label}, parts (µs per request, cumulative under cProfile):")
            parts = breakdown(client, paths[label], headers, count, PARTS + LIST_PARTS)
            for part, us in parts.items():
                print(f"  {part:<40} {us:7.0f}")
        app.extensions["minigrid"].close()


if __name__ == "__main__":
    main()
