"""POST /grids/{id}/simulations (202, background run, status) and GET /prosumers/{id}/flows
over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.api.sim_helpers import add_asset, sim_grid
from tests.conftest import make_key

RUN = {"from": "2026-06-01T00:00:00Z", "to": "2026-06-01T06:00:00Z", "seed": 2}


@pytest.fixture
def world(client: Any, admin: dict[str, str]) -> dict[str, Any]:
    return sim_grid(client, admin, houses=2)


def post_run(client: Any, headers: dict[str, str], grid_id: str, body: dict[str, Any]) -> Any:
    return client.post(f"/api/v1/grids/{grid_id}/simulations", json=body, headers=headers)


def finished(client: Any, headers: dict[str, str], url: str) -> dict[str, Any]:
    assert client.application.extensions["minigrid"].task_queue().drain() == 1  # a worker
    status = client.get(url, headers=headers)
    assert status.status_code == 200, status.json
    return status.json  # type: ignore[no-any-return]


def test_a_run_starts_in_the_background_and_reports_its_summary(
    client: Any, app: Any, world: dict[str, Any]
) -> None:
    gid = world["grid"]["id"]
    operator = make_key(app, role="operator", grid_id=gid)
    started = post_run(client, operator, gid, {**RUN, "close": True})
    assert started.status_code == 202, started.json
    url = started.headers["Location"]
    assert started.json["status_url"] == url and started.json["status"] == "queued"
    done = finished(client, operator, url)
    assert done["status"] == "succeeded" and done["done"] == done["total"] == 24
    assert done["summary"]["readings"] == {"inserted": 72, "updated": 0, "unchanged": 0}
    assert done["summary"]["closed_timeframes"] == 24
    again = post_run(client, operator, gid, {**RUN, "close": True})
    assert again.status_code == 202 and again.headers["Location"] == url
    assert finished(client, operator, url)["summary"]["readings"]["unchanged"] == 72


def test_a_refused_run_is_recorded_as_failed_with_the_problem(
    client: Any, admin: dict[str, str], world: dict[str, Any]
) -> None:
    gid = world["grid"]["id"]
    first = post_run(client, admin, gid, {**RUN, "close": True})
    finished(client, admin, first.headers["Location"])
    kettle = {"type": "load", "name": "kettle", "peak_w": 2000, "profile": ["1"] * 24}
    add_asset(client, admin, world["group"], kettle)
    refused = post_run(client, admin, gid, RUN)
    assert refused.status_code == 202
    status = finished(client, admin, refused.headers["Location"])
    assert status["status"] == "failed" and status["error"]["status"] == 409
    assert "is closed" in status["error"]["detail"]


@pytest.mark.parametrize(
    ("body", "code", "field"),
    [
        ({"from": "2026-06-01T00:05:00Z", "to": "2026-06-01T01:00:00Z"}, 422, "start"),
        ({"from": "2026-06-01T00:00:00Z", "to": "2026-06-01T00:20:00Z"}, 422, "to"),
        ({"from": "2026-06-01T00:00:00Z", "to": "2026-05-01T00:00:00Z"}, 400, "to"),
        ({"from": "2026-06-01T00:00:00Z"}, 400, "to"),
        ({**RUN, "seed": -1}, 400, "seed"),
        ({**RUN, "close": "yes"}, 400, "close"),
    ],
)
def test_bad_bodies_are_problems_naming_the_field(
    client: Any, admin: dict[str, str], world: dict[str, Any], body: dict, code: int, field: str
) -> None:
    refused = post_run(client, admin, world["grid"]["id"], body)
    assert refused.status_code == code, refused.json
    assert refused.content_type == "application/problem+json"
    assert field in str(refused.json.get("errors"))


def test_other_grids_and_unknown_runs_are_404(
    client: Any, app: Any, admin: dict[str, str], world: dict[str, Any]
) -> None:
    gid = world["grid"]["id"]
    stranger = make_key(
        app, role="operator", grid_id=sim_grid(client, admin, houses=0)["grid"]["id"]
    )
    assert post_run(client, stranger, gid, RUN).status_code == 404
    missing = f"/api/v1/grids/{gid}/simulations/00000000-0000-4000-8000-000000000000"
    assert client.get(missing, headers=admin).status_code == 404
    started = post_run(client, admin, gid, RUN)
    finished(client, admin, started.headers["Location"])
    assert client.get(started.headers["Location"], headers=stranger).status_code == 404


def test_flows_tell_what_the_house_ran_on(
    client: Any, app: Any, admin: dict[str, str], world: dict[str, Any]
) -> None:
    gid, pid = world["grid"]["id"], world["houses"][0]
    started = post_run(client, admin, gid, {**RUN, "to": "2026-06-02T00:00:00Z"})
    finished(client, admin, started.headers["Location"])
    own = make_key(app, role="prosumer", prosumer_id=pid)
    url = f"/api/v1/prosumers/{pid}/flows?from=2026-06-01T00:00:00Z&to=2026-06-02T00:00:00Z"
    got = client.get(url + "&page_size=1000", headers=own)
    assert got.status_code == 200, got.json
    assert got.headers["X-Total-Count"] == "96" and len(got.json) == 96
    for flow in got.json:
        parts = flow["supplied_wh"]
        assert sum(parts.values()) == flow["consumed_wh"]
        assert min(parts.values()) >= 0
        if flow["consumed_wh"]:
            assert parts[flow["ran_on"] + "_wh"] == max(parts.values())
        exact = Decimal(flow["stored_wh"]) / Decimal(flow["capacity_wh"])
        assert abs(Decimal(flow["soc"]) - exact) <= Decimal("0.00005")
    assert "battery" in {f["ran_on"] for f in got.json}
    paged = client.get(url + "&page=2&page_size=10", headers=own)
    assert [f["start"] for f in paged.json] == [f["start"] for f in got.json[10:20]]
    other = make_key(app, role="prosumer", prosumer_id=world["houses"][1])
    assert client.get(url, headers=other).status_code == 404
    assert (
        client.get(url.replace("&to=2026-06-02", "&to=2026-05-02"), headers=own).status_code == 400
    )
