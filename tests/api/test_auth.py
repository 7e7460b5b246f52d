"""Who may do what: every documented operation × every role, and the key mechanics."""

from __future__ import annotations

import contextlib
import itertools
import json
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from api.openapi_doc import generate
from models.services.clock import utcnow
from tests.conftest import (
    GRID,
    add_prosumer,
    fresh_pg_database,
    make_key,
    make_test_app,
    rolled_back_app,
)

T0 = "2026-10-01T00:00:00Z"
T1 = "2026-10-01T00:15:00Z"
RANGE = f"from={T0}&to=2026-10-02T00:00:00Z"
METHODS = ("get", "post", "put", "patch", "delete")
ROLES = (
    "none",
    "revoked",
    "expired",
    "meter_other",
    "meter_own",
    "partner_lo",
    "partner_hi",
    "pro_other",
    "pro_own",
    "op_other",
    "op",
    "admin",
)


@dataclass
class World:
    """Grids A (two prosumers, two partners, a closed timeframe), B (one prosumer), C (empty)."""

    client: Any
    app: Any
    ids: dict[str, str] = field(default_factory=dict)
    keys: dict[str, dict[str, str]] = field(default_factory=dict)

    def etag(self, path: str) -> dict[str, str]:
        return {"If-Match": self.client.get(path, headers=self.keys["admin"]).headers["ETag"]}

    def new_prosumer(self) -> str:
        n = 100 + len(self.ids)
        self.ids[f"x{n}"] = add_prosumer(self.client, self.keys["admin"], self.ids["A"], n)["id"]
        return self.ids[f"x{n}"]

    def new_key(self) -> str:
        body = {"role": "meter", "prosumer_id": self.ids["a2"]}
        return str(
            self.client.post("/api/v1/keys", json=body, headers=self.keys["admin"]).json["id"]
        )

    def new_asset(self) -> str:
        path = f"/api/v1/prosumers/{self.ids['a1']}/assets"
        response = self.client.post(path, json=ASSET, headers=self.keys["admin"])
        assert response.status_code == 201, response.json
        return str(response.json["id"])

    def new_webhook(self) -> str:
        body = {"url": "https://example.com/in", "grid_id": self.ids["A"]}
        response = self.client.post("/api/v1/webhooks", json=body, headers=self.keys["admin"])
        assert response.status_code == 201, response.json
        return str(response.json["id"])

    def new_order(self) -> str:
        path = f"/api/v1/prosumers/{self.ids['a1']}/orders"
        headers = {**self.keys["admin"], "Idempotency-Key": uuid.uuid4().hex}
        response = self.client.post(path, json=ORDER, headers=headers)
        assert response.status_code == 201, response.json
        return str(response.json["id"])


ASSET = {"type": "pv", "name": "roof", "peak_power_w": 5000}
ORDER = {
    "timeframe_start": "2030-01-01T00:15:00Z",
    "side": "sell",
    "energy_wh": 1500,
    "limit_price": "0.18",
}


def build_world(app: Any) -> World:
    world = World(app.test_client(), app)
    admin = world.keys["admin"] = make_key(app, role="admin")
    client, ids = world.client, world.ids
    for name in ("A", "B", "C"):
        ids[name] = client.post("/api/v1/grids", json=GRID, headers=admin).json["id"]
    ids["a1"] = add_prosumer(client, admin, ids["A"], 1)["id"]
    ids["a2"] = add_prosumer(client, admin, ids["A"], 2)["id"]
    ids["b1"] = add_prosumer(client, admin, ids["B"], 3)["id"]
    for name, trust in (("hi", 2), ("lo", 0)):
        body = {"name": name, "trust_level": trust, "datapoints": 10_000}
        partner = client.post(f"/api/v1/grids/{ids['A']}/partners", json=body, headers=admin)
        ids[f"partner_{name}"] = partner.json["id"]
    lines = [
        {"prosumer_id": ids[p], "produced_wh": w, "consumed_wh": 100}
        for p, w in (("a1", 900), ("a2", 0))
    ]
    url = f"/api/v1/grids/{ids['A']}/timeframes/{T0}"
    assert client.put(url + "/readings", json={"readings": lines}, headers=admin).status_code == 200
    assert client.post(url + "/close?force=true", headers=admin).status_code == 201
    ids["asset"] = world.new_asset()
    ids["hook"] = world.new_webhook()
    _add_community(world)
    _make_keys(world)
    return world


def _add_community(world: World) -> None:
    """Community c of grid A with a1 in it (a2 is not): a prosumer key sees only its own."""
    client, ids, admin = world.client, world.ids, world.keys["admin"]
    body = {"name": "c", "peak_threshold_w": 1000}
    made = client.post(f"/api/v1/grids/{ids['A']}/communities", json=body, headers=admin)
    ids["community"] = made.json["id"]
    url = f"/api/v1/prosumers/{ids['a1']}"
    etag = {"If-Match": client.get(url, headers=admin).headers["ETag"]}
    moved = client.patch(url, json={"community_id": ids["community"]}, headers={**admin, **etag})
    assert moved.status_code == 200, moved.json


def _make_keys(world: World) -> None:
    app, ids, keys = world.app, world.ids, world.keys
    keys["op"] = make_key(app, role="operator", grid_id=ids["A"])
    keys["op_other"] = make_key(app, role="operator", grid_id=ids["B"])
    keys["pro_own"] = make_key(app, role="prosumer", prosumer_id=ids["a1"])
    keys["pro_other"] = make_key(app, role="prosumer", prosumer_id=ids["a2"])
    keys["meter_own"] = make_key(app, role="meter", prosumer_id=ids["a1"])
    keys["meter_other"] = make_key(app, role="meter", prosumer_id=ids["a2"])
    keys["partner_hi"] = make_key(app, role="partner", partner_id=ids["partner_hi"])
    keys["partner_lo"] = make_key(app, role="partner", partner_id=ids["partner_lo"])
    keys["none"] = {}
    keys["expired"] = make_key(app, role="admin", expires_at=utcnow() - timedelta(seconds=1))
    revoked = keys["revoked"] = make_key(app, role="admin")
    key_id = world.client.get("/api/v1/keys?page_size=1000", headers=revoked).json[-1]["id"]
    assert world.client.delete(f"/api/v1/keys/{key_id}", headers=revoked).status_code == 409
    assert world.client.delete(f"/api/v1/keys/{key_id}", headers=keys["op"]).status_code == 404
    assert world.client.delete(f"/api/v1/keys/{key_id}", headers=keys["admin"]).status_code == 200


Request = Callable[[World], tuple[str, Any, dict[str, str]]]


@dataclass(frozen=True)
class Row:
    """One operation: how to call it on grid A / prosumer a1, who may, what success is."""

    request: Request
    ok: int
    roles: frozenset[str]
    other: int = 404  # what a key of another grid or prosumer gets
    special: dict[str, int] = field(default_factory=dict)


def row(request: Request, ok: int, roles: str, other: int = 404, **special: int) -> Row:
    return Row(request, ok, frozenset(roles.split()), other, special)


def at(path: str, body: Any = None, **headers: str) -> Request:
    """A request on the world's objects; {A}, {a1}, … name them."""
    return lambda w: (path.format(**w.ids), body, dict(headers))


def with_etag(path: str, body: Any = None) -> Request:
    def build(w: World) -> tuple[str, Any, dict[str, str]]:
        url = path.format(**w.ids)
        return url, body, w.etag(url)

    return build


def fresh_prosumer(w: World) -> tuple[str, Any, dict[str, str]]:
    url = f"/api/v1/prosumers/{w.new_prosumer()}"
    return url, None, w.etag(url)


def fresh_grid(w: World) -> tuple[str, Any, dict[str, str]]:
    grid = w.client.post("/api/v1/grids", json=GRID, headers=w.keys["admin"]).json["id"]
    url = f"/api/v1/grids/{grid}"
    return url, None, w.etag(url)


def fresh_key(w: World) -> tuple[str, Any, dict[str, str]]:
    return f"/api/v1/keys/{w.new_key()}", None, {}


def fresh_asset(w: World) -> tuple[str, Any, dict[str, str]]:
    url = f"/api/v1/assets/{w.new_asset()}"
    return url, None, w.etag(url)


def fresh_community(w: World) -> tuple[str, Any, dict[str, str]]:
    body = {"name": "empty", "peak_threshold_w": 1}
    made = w.client.post(
        f"/api/v1/grids/{w.ids['A']}/communities", json=body, headers=w.keys["admin"]
    )
    url = f"/api/v1/communities/{made.json['id']}"
    return url, None, w.etag(url)


def fresh_order(w: World) -> tuple[str, Any, dict[str, str]]:
    return f"/api/v1/orders/{w.new_order()}", None, {}


def fresh_webhook(w: World) -> tuple[str, Any, dict[str, str]]:
    url = f"/api/v1/webhooks/{w.new_webhook()}"
    return url, None, w.etag(url)


def new_order(w: World) -> tuple[str, Any, dict[str, str]]:
    url = "/api/v1/prosumers/{a1}/orders".format(**w.ids)
    return url, ORDER, {"Idempotency-Key": uuid.uuid4().hex}


PROSUMER = {"name": "n", "address": "a", "kind": "household", "wallet": "0x" + "ab" * 20}
READING = {"produced_wh": 10, "consumed_wh": 5}
ALL_ROLES = "admin op pro_own meter_own partner_hi"
TABLE: dict[str, Row] = {
    "GET /api/v1/grids": row(at("/api/v1/grids"), 200, "admin op", other=200),
    "POST /api/v1/grids": row(at("/api/v1/grids", GRID), 201, "admin"),
    "GET /api/v1/grids/{grid_id}": row(at("/api/v1/grids/{A}"), 200, "admin op"),
    "PATCH /api/v1/grids/{grid_id}": row(
        with_etag("/api/v1/grids/{A}", {"name": "renamed"}), 200, "admin op"
    ),
    "DELETE /api/v1/grids/{grid_id}": row(fresh_grid, 204, "admin"),
    "GET /api/v1/grids/{grid_id}/prosumers": row(
        at("/api/v1/grids/{A}/prosumers"), 200, "admin op"
    ),
    "POST /api/v1/grids/{grid_id}/prosumers": row(
        lambda w: (f"/api/v1/grids/{w.ids['A']}/prosumers", _new_prosumer_body(w), {}),
        201,
        "admin op",
    ),
    "GET /api/v1/prosumers/{prosumer_id}": row(
        at("/api/v1/prosumers/{a1}"), 200, "admin op pro_own"
    ),
    "PATCH /api/v1/prosumers/{prosumer_id}": row(
        with_etag("/api/v1/prosumers/{a1}", {"name": "renamed"}), 200, "admin op pro_own"
    ),
    "DELETE /api/v1/prosumers/{prosumer_id}": row(fresh_prosumer, 204, "admin op"),
    "PUT /api/v1/grids/{grid_id}/timeframes/{start}/readings": row(
        at(
            f"/api/v1/grids/{{A}}/timeframes/{T1}/readings",
            {"readings": []},
        ),
        200,
        "admin op",
    ),
    "PUT /api/v1/prosumers/{prosumer_id}/readings/{start}": row(
        at(f"/api/v1/prosumers/{{a1}}/readings/{T1}", READING), 200, "admin op pro_own meter_own"
    ),
    "GET /api/v1/prosumers/{prosumer_id}/readings": row(
        at(f"/api/v1/prosumers/{{a1}}/readings?{RANGE}"), 200, "admin op pro_own"
    ),
    "POST /api/v1/grids/{grid_id}/timeframes/{start}/close": row(
        at(f"/api/v1/grids/{{A}}/timeframes/{T0}/close"), 200, "admin op"
    ),
    "GET /api/v1/grids/{grid_id}/timeframes/{start}": row(
        at(f"/api/v1/grids/{{A}}/timeframes/{T0}"),
        200,
        "admin op partner_hi partner_lo",
        partner_lo=403,
    ),
    "GET /api/v1/grids/{grid_id}/snapshots": row(
        at(f"/api/v1/grids/{{A}}/snapshots?{RANGE}"), 200, "admin op partner_hi partner_lo"
    ),
    "GET /api/v1/grids/{grid_id}/netto": row(
        at(f"/api/v1/grids/{{A}}/netto?{RANGE}"),
        200,
        "admin op partner_hi partner_lo",
        partner_lo=403,
    ),
    "GET /api/v1/grids/{grid_id}/price": row(
        at(f"/api/v1/grids/{{A}}/price?at={T0}"), 200, "admin op partner_hi partner_lo"
    ),
    "GET /api/v1/keys": row(at("/api/v1/keys"), 200, "admin op", other=200),
    "POST /api/v1/keys": row(
        at("/api/v1/keys", {"role": "meter", "prosumer_id": "{a1}"}), 201, "admin op"
    ),
    "GET /api/v1/keys/{key_id}": row(
        lambda w: (f"/api/v1/keys/{w.new_key()}", None, {}), 200, "admin op"
    ),
    "DELETE /api/v1/keys/{key_id}": row(fresh_key, 200, "admin op"),
    "GET /api/v1/grids/{grid_id}/partners": row(at("/api/v1/grids/{A}/partners"), 200, "admin op"),
    "POST /api/v1/grids/{grid_id}/partners": row(
        at("/api/v1/grids/{A}/partners", {"name": "new", "trust_level": 1}), 201, "admin op"
    ),
    "POST /api/v1/partners/{partner_id}/datapoints": row(
        at("/api/v1/partners/{partner_lo}/datapoints", {"datapoints": 5}), 200, "admin op"
    ),
    "POST /api/v1/prosumers/{prosumer_id}/orders": row(new_order, 201, "admin op pro_own"),
    "GET /api/v1/prosumers/{prosumer_id}/orders": row(
        at("/api/v1/prosumers/{a1}/orders"), 200, "admin op pro_own"
    ),
    "GET /api/v1/orders/{order_id}": row(
        lambda w: (f"/api/v1/orders/{w.new_order()}", None, {}), 200, "admin op pro_own"
    ),
    "DELETE /api/v1/orders/{order_id}": row(fresh_order, 200, "admin op pro_own"),
    "GET /api/v1/grids/{grid_id}/transactions": row(
        at(f"/api/v1/grids/{{A}}/transactions?{RANGE}"), 200, "admin op"
    ),
    "GET /api/v1/prosumers/{prosumer_id}/transactions": row(
        at(f"/api/v1/prosumers/{{a1}}/transactions?{RANGE}"), 200, "admin op pro_own"
    ),
    "GET /api/v1/prosumers/{prosumer_id}/balance": row(
        at(f"/api/v1/prosumers/{{a1}}/balance?{RANGE}"), 200, "admin op pro_own"
    ),
    "GET /api/v1/prosumers/{prosumer_id}/assets": row(
        at("/api/v1/prosumers/{a1}/assets"), 200, "admin op pro_own"
    ),
    "POST /api/v1/prosumers/{prosumer_id}/assets": row(
        at("/api/v1/prosumers/{a1}/assets", ASSET), 201, "admin op"
    ),
    "GET /api/v1/assets/{asset_id}": row(at("/api/v1/assets/{asset}"), 200, "admin op pro_own"),
    "PATCH /api/v1/assets/{asset_id}": row(
        with_etag("/api/v1/assets/{asset}", {"enabled": False}), 200, "admin op pro_own"
    ),
    "DELETE /api/v1/assets/{asset_id}": row(fresh_asset, 204, "admin op"),
    "GET /api/v1/prosumers/{prosumer_id}/controls": row(
        at("/api/v1/prosumers/{a1}/controls"), 200, "admin op pro_own"
    ),
    "PUT /api/v1/prosumers/{prosumer_id}/controls": row(
        at("/api/v1/prosumers/{a1}/controls", {"input_ratio": "0.5", "output_ratio": "1"}),
        200,
        "admin op pro_own",
    ),
    "GET /api/v1/grids/{grid_id}/plant": row(at("/api/v1/grids/{A}/plant"), 200, "admin op"),
    "PATCH /api/v1/grids/{grid_id}/plant": row(
        with_etag("/api/v1/grids/{A}/plant", {"status": "stopped"}), 200, "admin op"
    ),
    # No settlement has run: allowed callers reach the use case, which answers 404 / 409.
    "POST /api/v1/grids/{grid_id}/settlements": row(
        at("/api/v1/grids/{A}/settlements", {"month": "2026-10"}), 409, "admin op"
    ),
    "GET /api/v1/grids/{grid_id}/settlements/{month}": row(
        at("/api/v1/grids/{A}/settlements/2026-10"), 404, "admin op"
    ),
    "GET /api/v1/prosumers/{prosumer_id}/statements/{month}": row(
        at("/api/v1/prosumers/{a1}/statements/2026-10"), 404, "admin op pro_own"
    ),
    "GET /api/v1/prosumers/{prosumer_id}/statements/{month}/payment": row(
        at("/api/v1/prosumers/{a1}/statements/2026-10/payment"), 404, "admin op pro_own"
    ),
    "POST /api/v1/prosumers/{prosumer_id}/statements/{month}/payment": row(
        at("/api/v1/prosumers/{a1}/statements/2026-10/payment", {"signed_tx": "0x02"}),
        404,
        "admin op pro_own",
    ),
    # Grid A has no coordinates: allowed callers reach the use case, which answers 422.
    "POST /api/v1/grids/{grid_id}/simulations": row(
        at("/api/v1/grids/{A}/simulations", {"from": T0, "to": T1}), 422, "admin op"
    ),
    "GET /api/v1/grids/{grid_id}/simulations/{simulation_id}": row(
        at("/api/v1/grids/{A}/simulations/00000000-0000-4000-8000-000000000000"), 404, "admin op"
    ),
    "GET /api/v1/prosumers/{prosumer_id}/flows": row(
        at("/api/v1/prosumers/{a1}/flows?" + RANGE), 200, "admin op pro_own"
    ),
    "GET /api/v1/grids/{grid_id}/weather": row(at("/api/v1/grids/{A}/weather"), 200, "admin op"),
    "PUT /api/v1/grids/{grid_id}/weather": row(
        at("/api/v1/grids/{A}/weather", {"rows": []}), 200, "admin op"
    ),
    # communities: c holds a1 (pro_own) but not a2 (pro_other)
    "GET /api/v1/grids/{grid_id}/communities": row(
        at("/api/v1/grids/{A}/communities"), 200, "admin op"
    ),
    "POST /api/v1/grids/{grid_id}/communities": row(
        at("/api/v1/grids/{A}/communities", {"name": "n", "peak_threshold_w": 5}), 201, "admin op"
    ),
    "GET /api/v1/communities/{community_id}": row(
        at("/api/v1/communities/{community}"), 200, "admin op pro_own"
    ),
    "PATCH /api/v1/communities/{community_id}": row(
        with_etag("/api/v1/communities/{community}", {"name": "renamed"}), 200, "admin op"
    ),
    "DELETE /api/v1/communities/{community_id}": row(fresh_community, 204, "admin op"),
    "GET /api/v1/grids/{grid_id}/consumption": row(
        at(f"/api/v1/grids/{{A}}/consumption?at={T0}"), 200, "admin op"
    ),
    "GET /api/v1/communities/{community_id}/consumption": row(
        at(f"/api/v1/communities/{{community}}/consumption?at={T1}"), 200, "admin op pro_own"
    ),
    "GET /api/v1/communities/{community_id}/autarky": row(
        at(f"/api/v1/communities/{{community}}/autarky?{RANGE}"), 200, "admin op pro_own"
    ),
    "GET /api/v1/communities/{community_id}/peaks": row(
        at(f"/api/v1/communities/{{community}}/peaks?{RANGE}"), 200, "admin op pro_own"
    ),
    "GET /api/v1/communities/{community_id}/notifications": row(
        at("/api/v1/communities/{community}/notifications"), 200, "admin op pro_own"
    ),
    "GET /api/v1/prosumers/{prosumer_id}/commands": row(
        at("/api/v1/prosumers/{a1}/commands"), 200, "admin op pro_own meter_own"
    ),
    "GET /api/v1/grids/{grid_id}/production": row(
        at(f"/api/v1/grids/{{A}}/production?at={T0}"), 200, "admin op partner_hi partner_lo"
    ),
    "GET /api/v1/grids/{grid_id}/consumption/assets": row(
        at(f"/api/v1/grids/{{A}}/consumption/assets?at={T0}"),
        200,
        "admin op partner_hi partner_lo",
        partner_hi=403,
        partner_lo=403,
    ),
    # The feed is filtered by the key's scope: a key of another grid or prosumer reads its own.
    "GET /api/v1/events": row(at("/api/v1/events"), 200, "admin op pro_own", other=200),
    "GET /api/v1/webhooks": row(at("/api/v1/webhooks"), 200, "admin op", other=200),
    "POST /api/v1/webhooks": row(
        at("/api/v1/webhooks", {"url": "https://example.com/in", "grid_id": "{A}"}),
        201,
        "admin op",
        other=403,
    ),
    "GET /api/v1/webhooks/{webhook_id}": row(at("/api/v1/webhooks/{hook}"), 200, "admin op"),
    "PATCH /api/v1/webhooks/{webhook_id}": row(
        with_etag("/api/v1/webhooks/{hook}", {"active": True}), 200, "admin op"
    ),
    "DELETE /api/v1/webhooks/{webhook_id}": row(fresh_webhook, 204, "admin op"),
    "GET /api/v1/webhooks/{webhook_id}/deliveries": row(
        at("/api/v1/webhooks/{hook}/deliveries"), 200, "admin op"
    ),
    # No delivery has that id: allowed callers reach the use case, which answers 404.
    "POST /api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver": row(
        at("/api/v1/webhooks/{hook}/deliveries/00000000-0000-4000-8000-000000000000/redeliver"),
        404,
        "admin op",
    ),
}
PUBLIC = {"GET /health/live", "GET /health/ready"}
_CORRECTED = itertools.count(1000)


def new_correction(w: World) -> tuple[str, Any, dict[str, str]]:
    """A correction of closed T0 that changes something every time (each role's own value)."""
    url = f"/api/v1/grids/{w.ids['A']}/timeframes/{T0}/corrections"
    line = {"prosumer_id": w.ids["a1"], "produced_wh": next(_CORRECTED), "consumed_wh": 100}
    return url, {"reason": "auth matrix", "readings": [line]}, {"Idempotency-Key": uuid.uuid4().hex}


TABLE["POST /api/v1/grids/{grid_id}/timeframes/{start}/corrections"] = row(
    new_correction, 201, "admin op"
)
TABLE["GET /api/v1/grids/{grid_id}/timeframes/{start}/corrections"] = row(
    at(f"/api/v1/grids/{{A}}/timeframes/{T0}/corrections"), 200, "admin op"
)


def _new_prosumer_body(w: World) -> dict[str, Any]:
    return {**PROSUMER, "wallet": "0x" + uuid.uuid4().hex[:8] + "00" * 16}


def expected(row: Row, role: str) -> int:
    """The status `role` must get; partners and others are judged on the object they address."""
    if role in ("none", "revoked", "expired"):
        return 401
    if role in row.special:
        return row.special[role]
    base = role.removesuffix("_own").removesuffix("_other").removesuffix("_hi").removesuffix("_lo")
    allowed = {r.removesuffix("_own").removesuffix("_hi").removesuffix("_lo") for r in row.roles}
    if base not in allowed:
        return 403
    if role.endswith("_other"):
        return row.other
    return row.ok


def documented_operations() -> set[str]:
    spec = json.loads(generate())
    return {
        f"{method.upper()} {path}"
        for path, item in spec["paths"].items()
        for method in METHODS
        if method in item
    }


def test_every_documented_operation_has_a_row() -> None:
    missing = documented_operations() - set(TABLE) - PUBLIC
    assert not missing, f"add these operations to tests/api/test_auth.py TABLE: {sorted(missing)}"
    stale = set(TABLE) - documented_operations()
    assert not stale, f"no longer in the document: {sorted(stale)}"


def _send(world: World, method: str, request: Request, role: str) -> Any:
    path, body, headers = request(world)
    if isinstance(body, dict):
        body = {k: (v.format(**world.ids) if isinstance(v, str) else v) for k, v in body.items()}
    headers = {**headers, **world.keys[role]}
    return world.client.open(path, method=method, json=body, headers=headers)


@dataclass(frozen=True)
class Template:
    """A world built once per engine: the directory of its stores, its database, its objects."""

    stores: Path  # documents and queue (and the SQLite registry) as the world left them
    url: str  # the registry: a file in `stores`, or a PostgreSQL database holding the world
    ids: dict[str, str]
    keys: dict[str, dict[str, str]]


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def world_template(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Template]:
    """The role matrix's world, built once: each of its tests starts from a copy of it."""
    stores = tmp_path_factory.mktemp("world")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            shutil.copy(request.getfixturevalue("sqlite_template"), stores / "registry.db")
            url = f"sqlite:///{stores / 'registry.db'}"
        else:
            url = stack.enter_context(fresh_pg_database())
        app = make_test_app(url, stores)
        world = build_world(app)
        app.extensions["minigrid"].close()
        yield Template(stores, url, world.ids, world.keys)


@pytest.fixture
def matrix_world(world_template: Template, tmp_path: Path) -> Iterator[World]:
    """A copy of the built world: its files copied, its PostgreSQL changes rolled back."""
    stores = tmp_path / "stores"
    shutil.copytree(world_template.stores, stores)
    with contextlib.ExitStack() as stack:
        if world_template.url.startswith("sqlite"):
            app = make_test_app(f"sqlite:///{stores / 'registry.db'}", stores)
            stack.callback(app.extensions["minigrid"].close)
        else:
            app = stack.enter_context(rolled_back_app(world_template.url, stores))
        ids, keys = dict(world_template.ids), dict(world_template.keys)
        yield World(app.test_client(), app, ids, keys)


@pytest.mark.parametrize("operation", sorted(TABLE))
def test_role_matrix(matrix_world: World, operation: str) -> None:
    world = matrix_world
    method = operation.split()[0]
    got = {}
    for role in ROLES:
        got[role] = _send(world, method, TABLE[operation].request, role).status_code
    want = {role: expected(TABLE[operation], role) for role in ROLES}
    assert got == want


@pytest.fixture
def world(app: Any) -> World:
    return build_world(app)


def test_401_is_a_problem_with_a_challenge(world: World) -> None:
    for headers in ({}, {"Authorization": "Bearer mg_nope_nope"}, {"Authorization": "Basic x"}):
        response = world.client.get("/api/v1/grids", headers=headers)
        assert response.status_code == 401
        assert response.mimetype == "application/problem+json"
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        sent_a_token = headers.get("Authorization", "").startswith("Bearer")
        assert ('error="invalid_token"' in response.headers["WWW-Authenticate"]) == sent_a_token


def test_health_and_documents_are_public(client: Any) -> None:
    assert client.get("/health/live").status_code == 200
    assert client.get("/openapi.json").json["components"]["securitySchemes"]
    assert client.get("/swagger-ui").status_code == 200


def test_secret_is_stored_only_as_a_hash(app: Any) -> None:
    headers = make_key(app, role="admin")
    secret = headers["Authorization"].removeprefix("Bearer ")
    with app.extensions["minigrid"].uow(write=False) as uow:
        rows = uow.session.execute(text("SELECT * FROM api_keys")).mappings().all()
    assert len(rows) == 1
    stored = " ".join(str(value) for value in rows[0].values())
    assert secret not in stored and secret.split("_", 2)[2] not in stored
    assert secret.split("_", 2)[1] == rows[0]["prefix"]


def test_revoke_and_last_used(world: World) -> None:
    client, admin = world.client, world.keys["admin"]
    created = client.post(
        "/api/v1/keys", json={"role": "operator", "grid_id": world.ids["A"]}, headers=admin
    )
    assert created.status_code == 201 and created.json["last_used_at"] is None
    key = {"Authorization": f"Bearer {created.json['secret']}"}
    url = f"/api/v1/keys/{created.json['id']}"
    assert client.get(url, headers=key).status_code == 200
    used = client.get(url, headers=admin).json
    assert used["last_used_at"] is not None and "secret" not in used
    assert client.delete(url, headers=admin).json["revoked_at"] is not None
    assert client.get(url, headers=key).status_code == 401


def _datapoints(world: World, name: str) -> int:
    url = f"/api/v1/grids/{world.ids['A']}/partners?page_size=1000"
    partners = world.client.get(url, headers=world.keys["admin"]).json
    return next(int(p["datapoints"]) for p in partners if p["id"] == world.ids[name])


def test_partner_trust_and_datapoints(world: World) -> None:
    client, ids = world.client, world.ids
    netto = f"/api/v1/grids/{ids['A']}/netto?{RANGE}"  # costs 10, needs trust 2
    assert client.get(netto, headers=world.keys["partner_lo"]).status_code == 403
    assert _datapoints(world, "partner_lo") == 10_000
    assert client.get(netto, headers=world.keys["partner_hi"]).status_code == 200
    assert _datapoints(world, "partner_hi") == 10_000 - 10
    poor = world.client.post(
        f"/api/v1/grids/{ids['A']}/partners",
        json={"name": "poor", "trust_level": 5, "datapoints": 9},
        headers=world.keys["admin"],
    ).json
    ids["poor"] = poor["id"]
    key = make_key(world.app, role="partner", partner_id=poor["id"])
    refused = client.get(netto, headers=key)
    assert refused.status_code == 402 and refused.mimetype == "application/problem+json"
    assert _datapoints(world, "poor") == 9
    snapshot = f"/api/v1/grids/{ids['A']}/timeframes/{T0}"  # costs 5
    assert client.get(snapshot, headers=key).status_code == 200
    assert _datapoints(world, "poor") == 4


def test_partner_responses_carry_no_personal_data(world: World) -> None:
    ids, admin = world.ids, world.keys["admin"]
    people = [
        world.client.get(f"/api/v1/prosumers/{ids[p]}", headers=admin).json for p in ("a1", "a2")
    ]
    secrets_ = {v for p in people for v in (p["name"], p["address"], p["wallet"])}
    for url in (
        f"/api/v1/grids/{ids['A']}/timeframes/{T0}",
        f"/api/v1/grids/{ids['A']}/snapshots?{RANGE}",
        f"/api/v1/grids/{ids['A']}/netto?{RANGE}",
    ):
        response = world.client.get(url, headers=world.keys["partner_hi"])
        assert response.status_code == 200
        text = response.get_data(as_text=True).lower()
        assert not [s for s in secrets_ if s.lower() in text], url
        assert not {"name", "address", "wallet"} & _all_keys(response.json), url


def _all_keys(data: Any) -> set[str]:
    if isinstance(data, dict):
        return set(data) | {k for v in data.values() for k in _all_keys(v)}
    if isinstance(data, list):
        return {k for v in data for k in _all_keys(v)}
    return set()


def test_prosumer_cannot_patch_own_wallet_or_active(world: World) -> None:
    url = f"/api/v1/prosumers/{world.ids['a1']}"
    before = world.client.get(url, headers=world.keys["admin"]).json
    for change in ({"wallet": "0x" + "cd" * 20}, {"active": False}):
        headers = {**world.keys["pro_own"], **world.etag(url)}
        response = world.client.patch(url, json=change, headers=headers)
        assert response.status_code == 403, change
    assert world.client.get(url, headers=world.keys["admin"]).json == before
    headers = {**world.keys["pro_own"], **world.etag(url)}
    assert world.client.patch(url, json={"name": "mine"}, headers=headers).status_code == 200


def test_operator_cannot_make_keys_for_another_grid(world: World) -> None:
    client = world.client
    before = client.get("/api/v1/keys?page_size=1000", headers=world.keys["admin"]).json
    for body in (
        {"role": "prosumer", "prosumer_id": world.ids["b1"]},
        {"role": "meter", "prosumer_id": world.ids["b1"]},
        {"role": "operator", "grid_id": world.ids["B"]},
    ):
        response = client.post("/api/v1/keys", json=body, headers=world.keys["op"])
        assert response.status_code == 404 and "secret" not in response.json, body
    after = client.get("/api/v1/keys?page_size=1000", headers=world.keys["admin"]).json
    assert len(after) == len(before)
    admin_key = client.post("/api/v1/keys", json={"role": "admin"}, headers=world.keys["op"])
    assert admin_key.status_code == 403


@pytest.fixture(params=["sqlite", "postgresql"])
def committed_app(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """An app whose requests really commit: a file SQLite copy or a fresh PostgreSQL database."""
    if request.param == "sqlite":
        db = tmp_path / "registry.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), db)
        app = make_test_app(f"sqlite:///{db}", tmp_path)
        yield app
        app.extensions["minigrid"].close()
        return
    with fresh_pg_database() as url:
        app = make_test_app(url, tmp_path)
        yield app
        app.extensions["minigrid"].close()


def test_concurrent_partner_requests_cannot_overspend(committed_app: Any) -> None:
    world = build_world(committed_app)
    body = {"name": "racer", "trust_level": 0, "datapoints": 10}
    url = f"/api/v1/grids/{world.ids['A']}/partners"
    world.ids["racer"] = world.client.post(url, json=body, headers=world.keys["admin"]).json["id"]
    key = make_key(committed_app, role="partner", partner_id=world.ids["racer"])
    snapshots = f"/api/v1/grids/{world.ids['A']}/snapshots?{RANGE}"  # costs 1
    barrier = threading.Barrier(8)

    def spend(_: int) -> list[int]:
        client = committed_app.test_client()
        barrier.wait()
        return [client.get(snapshots, headers=key).status_code for _ in range(4)]

    with ThreadPoolExecutor(8) as pool:
        codes = [code for batch in pool.map(spend, range(8)) for code in batch]
    assert sorted(set(codes)) == [200, 402]
    assert codes.count(200) == 10 and codes.count(402) == 22
    assert _datapoints(world, "racer") == 0


def test_writes_are_rate_limited_per_key(tmp_path: Path, sqlite_template: Path) -> None:
    db = tmp_path / "registry.db"
    shutil.copy(sqlite_template, db)
    app = make_test_app(f"sqlite:///{db}", tmp_path, WRITE_RATE_LIMIT="3/minute")
    try:
        client, admin = app.test_client(), make_key(app, role="admin")
        other = make_key(app, role="admin")
        codes = [
            client.post("/api/v1/grids", json=GRID, headers=admin).status_code for _ in range(5)
        ]
        assert codes == [201, 201, 201, 429, 429]
        limited = client.post("/api/v1/grids", json=GRID, headers=admin)
        assert limited.mimetype == "application/problem+json"
        assert int(limited.headers["Retry-After"]) > 0
        assert all(client.get("/api/v1/grids", headers=admin).status_code == 200 for _ in range(6))
        assert client.post("/api/v1/grids", json=GRID, headers=other).status_code == 201
    finally:
        app.extensions["minigrid"].close()


def test_prosumer_patching_another_prosumers_wallet_gets_404(world: World) -> None:
    """Another prosumer's record is 404 whatever the body: a 403 would confirm it exists."""
    for target in ("a2", "b1"):
        url = f"/api/v1/prosumers/{world.ids[target]}"
        headers = {**world.keys["pro_own"], **world.etag(url)}
        response = world.client.patch(url, json={"wallet": "0x" + "cd" * 20}, headers=headers)
        assert response.status_code == 404, (target, response.json)
