"""A live server for the browser: the devserver (gunicorn, anvil) with a small seeded grid.

The grid is simulated over HTTP (assets, then a month with `close`), and the month is settled
on anvil through the API, so every number the pages show comes from the real stack.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.api.sim_helpers import EVENING, HOUSE_ASSETS
from tests.api.test_devserver import free_port, plain_env, start, wait_line
from tests.procs import reaped_env

# anvil's dev accounts 1-4 (public keys of a public dev mnemonic): the prosumers' wallets, so
# a test can pay a debit from the wallet anvil unlocks for it
WALLETS = [
    "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
    "0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
    "0x90F79bf6EB2c4f870365E785982E1f101E93b906",
    "0x15d34AAf54267DB7D7c367839AAf71A00a2C6A65",
]
WIND = {"type": "wind_turbine", "name": "mill", "rated_power_w": 30000, "hub_height_m": 30}
FLAT = {"type": "load", "name": "flat", "peak_w": 1500, "profile": EVENING}
MONTH = "2026-10"


class ApiError(Exception):
    def __init__(self, status: int, body: Any) -> None:
        super().__init__(f"{status}: {body}")
        self.status, self.body = status, body


@dataclass
class Live:
    """The running server, its chain node and what was seeded."""

    base: str
    rpc: str
    admin: str
    grid: dict[str, Any] = field(default_factory=dict)
    prosumers: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)
    community: dict[str, Any] | None = None

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> Any:
        """One API call as JSON; ApiError on a 4xx/5xx."""
        data = None if body is None else json.dumps(body).encode()
        headers = {
            "Authorization": f"Bearer {token or self.admin}",
            "Content-Type": "application/json",
        }
        request = urllib.request.Request(
            f"{self.base}/api/v1{path}", data=data, method=method, headers=headers
        )
        if method in ("PATCH", "DELETE"):
            request.add_header("If-Match", self.etag(path, token))
        try:
            with urllib.request.urlopen(request, timeout=30) as resp:
                return json.load(resp) if resp.status != 204 else None
        except urllib.error.HTTPError as exc:
            raise ApiError(exc.code, json.load(exc)) from exc

    def etag(self, path: str, token: str | None = None) -> str:
        headers = {"Authorization": f"Bearer {token or self.admin}"}
        request = urllib.request.Request(f"{self.base}/api/v1{path}", headers=headers)
        with urllib.request.urlopen(request, timeout=30) as resp:
            return str(resp.headers["ETag"])

    def documents(self, path: str) -> bool:
        """True when the API's OpenAPI document lists `path` (features other issues add)."""
        with urllib.request.urlopen(f"{self.base}/openapi.json", timeout=30) as resp:
            return path in json.load(resp)["paths"]

    def key(self, role: str, **binding: str) -> str:
        return str(self.call("POST", "/keys", {"role": role, **binding})["secret"])


def start_server(var: Path, log: Path, env: dict[str, str]) -> tuple[Any, Live]:
    """The devserver as `make run` starts it, on free ports; (process, Live) once it is ready."""
    port, ledger_port = free_port(), free_port()
    proc = start(var, port, ledger_port, log, env, "--no-demo")  # the seeded grid only
    output = wait_line(proc, log, "ready: Swagger UI", timeout_s=120)
    admin = output.split("first admin key (shown once, keep it): ")[1].split()[0]
    return proc, Live(f"http://127.0.0.1:{port}", f"http://127.0.0.1:{ledger_port}", admin)


def add_prosumers(live: Live, grid_id: str) -> dict[str, dict[str, Any]]:
    """Two full houses, a wind producer (a credit) and a flat with a load only (a debit)."""
    plan = {
        "House 1": HOUSE_ASSETS,
        "House 2": HOUSE_ASSETS,
        "Wind farm": [WIND],
        "Flat": [FLAT],
    }
    made = {}
    for n, (name, assets) in enumerate(plan.items()):
        body = {"name": name, "address": f"Storgatan {n + 1}", "kind": "household"}
        prosumer = live.call("POST", f"/grids/{grid_id}/prosumers", {**body, "wallet": WALLETS[n]})
        for asset in assets:
            live.call(
                "POST",
                f"/prosumers/{prosumer['id']}/assets",
                {**asset, "name": f"{asset['name']} {n}"},
            )
        made[name] = prosumer
    return made


def add_community(live: Live, grid_id: str) -> dict[str, Any] | None:
    """The houses and the flat as one community, where the API has communities (issue 13)."""
    if not live.documents("/api/v1/grids/{grid_id}/communities"):
        return None
    body = {"name": "Storgatan", "peak_threshold_w": 2500}
    community: dict[str, Any] = live.call("POST", f"/grids/{grid_id}/communities", body)
    for name in ("House 1", "House 2", "Flat"):
        live.call(
            "PATCH", f"/prosumers/{live.prosumers[name]['id']}", {"community_id": community["id"]}
        )
    return community


def wait_for(live: Live, path: str, done: Any, timeout_s: float = 120) -> Any:
    """GET `path` until `done(answer)`; the last answer."""
    deadline = time.monotonic() + timeout_s
    while True:
        answer = live.call("GET", path)
        if done(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.25)


def seed(live: Live, minutes: int = 180, month: str = MONTH) -> None:
    """A UTC grid of `minutes` timeframes, simulated and closed over `month`, settled on anvil."""
    year, mm = map(int, month.split("-"))
    end = f"{year + mm // 12}-{mm % 12 + 1:02d}-01T00:00:00Z"
    grid = {
        "name": "Lulea East",
        "timezone": "UTC",
        "timeframe_minutes": minutes,
        "currency": "EUR",
        "import_price": "0.30",
        "feed_in_price": "0.10",
        "latitude": "65.58",
        "longitude": "22.15",
    }
    live.grid = live.call("POST", "/grids", grid)
    gid = live.grid["id"]
    live.prosumers = add_prosumers(live, gid)
    live.community = add_community(live, gid)
    run = {"from": f"{month}-01T00:00:00Z", "to": end, "seed": 3, "close": True}
    started = live.call("POST", f"/grids/{gid}/simulations", run)
    status = wait_for(
        live,
        started["status_url"].removeprefix("/api/v1"),
        lambda s: s["status"] not in ("queued", "running"),
    )
    assert status["status"] == "succeeded", status
    live.call("POST", f"/grids/{gid}/settlements", {"month": month})
    settled = wait_for(
        live, f"/grids/{gid}/settlements/{month}", lambda r: r["status"] in ("settled", "failed")
    )
    assert settled["status"] == "settled", settled
    live.keys = {
        name: live.key("prosumer", prosumer_id=p["id"]) for name, p in live.prosumers.items()
    }
    live.keys["operator"] = live.key("operator", grid_id=gid)


@contextmanager
def seeded(tmp: Path, minutes: int) -> Iterator[tuple[Live, dict[str, str]]]:
    """A seeded devserver in `tmp` and the environment to start a browser in; all reaped after."""
    with reaped_env(plain_env()) as env:
        proc, live = start_server(tmp / "var", tmp / "devserver.log", env)
        try:
            seed(live, minutes)
            yield live, env
        finally:
            proc.kill()
            proc.wait()
