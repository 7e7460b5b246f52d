"""The fast read path keeps its promises: revocation and expiry bounded, ETags right everywhere."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from api.config import DEFAULTS
from models.services.clock import utcnow
from tests.conftest import GRID, add_prosumer, fresh_pg_database, make_key, make_test_app

ROOT = Path(__file__).resolve().parents[2]
PATCH_ELSEWHERE = """
import sys
from pathlib import Path
from tests.conftest import make_test_app

url, tmp, path, etag, key = sys.argv[1:6]
app = make_test_app(url, Path(tmp))
headers = {"Authorization": key, "If-Match": etag}
response = app.test_client().patch(path, json={"name": "renamed elsewhere"}, headers=headers)
app.extensions["minigrid"].close()
print(response.status_code, response.headers.get("ETag"))
"""


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A registry whose writes really commit, so another app or process sees them."""
    if request.param == "sqlite":
        db = tmp_path / "registry.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), db)
        yield f"sqlite:///{db}"
        return
    with fresh_pg_database() as url:
        yield url


BOUND_S = 0.5  # KEY_CACHE_S here: the bound's waits take a quarter of the default's 2 s


@pytest.fixture
def two_workers(database_url: str, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    """Two apps on one registry: what two gunicorn workers are (nothing in memory is shared)."""
    first = make_test_app(database_url, tmp_path, KEY_CACHE_S=BOUND_S)
    second = make_test_app(database_url, tmp_path, KEY_CACHE_S=BOUND_S)
    yield first, second
    first.extensions["minigrid"].close()
    second.extensions["minigrid"].close()


def _is_unauthorized(response: Any) -> bool:
    return response.status_code == 401 and response.mimetype == "application/problem+json"


def test_a_key_revoked_by_another_worker_stops_within_the_bound(two_workers: Any) -> None:
    reader, revoker = two_workers
    bound = reader.config["KEY_CACHE_S"]
    assert DEFAULTS["KEY_CACHE_S"] == 2.0 and bound == BOUND_S  # default: README's 2 s
    admin = make_key(reader, role="admin")
    doomed = make_key(reader, role="admin")
    client = reader.test_client()
    assert client.get("/api/v1/grids", headers=doomed).status_code == 200  # now remembered
    key_id = client.get("/api/v1/keys?page_size=1000", headers=admin).json[-1]["id"]
    revoked = revoker.test_client().delete(f"/api/v1/keys/{key_id}", headers=admin)
    assert revoked.status_code == 200 and revoked.json["revoked_at"]
    time.sleep(bound)
    assert _is_unauthorized(client.get("/api/v1/grids", headers=doomed))


def test_a_key_revoked_through_the_same_worker_stops_at_once(two_workers: Any) -> None:
    app, _ = two_workers
    admin, doomed = make_key(app, role="admin"), make_key(app, role="admin")
    client = app.test_client()
    assert client.get("/api/v1/grids", headers=doomed).status_code == 200
    key_id = client.get("/api/v1/keys?page_size=1000", headers=admin).json[-1]["id"]
    assert client.delete(f"/api/v1/keys/{key_id}", headers=admin).status_code == 200
    assert _is_unauthorized(client.get("/api/v1/grids", headers=doomed))


def test_an_expiring_key_stops_when_it_expires_even_if_remembered(
    database_url: str, tmp_path: Path
) -> None:
    app = make_test_app(database_url, tmp_path)  # the default bound: 2 s, longer than its life
    expires = utcnow() + timedelta(seconds=1)
    key = make_key(app, role="admin", expires_at=expires)
    client = app.test_client()
    assert client.get("/api/v1/grids", headers=key).status_code == 200
    time.sleep(max((expires - utcnow()).total_seconds(), 0) + 0.05)
    assert _is_unauthorized(client.get("/api/v1/grids", headers=key))  # well within the 2 s
    app.extensions["minigrid"].close()


def test_etags_follow_a_write_made_by_another_process(
    database_url: str, tmp_path: Path, two_workers: Any
) -> None:
    app, _ = two_workers
    admin = make_key(app, role="admin")
    client = app.test_client()
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json
    prosumer = add_prosumer(client, admin, grid["id"], 1)
    path = f"/api/v1/prosumers/{prosumer['id']}"
    first = client.get(path, headers=admin)
    old = first.headers["ETag"]
    assert first.json == prosumer
    assert client.get(path, headers={**admin, "If-None-Match": old}).status_code == 304
    args = [database_url, str(tmp_path), path, old.strip('"'), admin["Authorization"]]
    done = subprocess.run(
        [sys.executable, "-c", PATCH_ELSEWHERE, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    status, new = done.stdout.split()[-2:]
    assert status == "200", done.stderr  # the ETag this worker served is the one If-Match checks
    fresh = client.get(path, headers={**admin, "If-None-Match": old})
    assert fresh.status_code == 200 and fresh.json["name"] == "renamed elsewhere"
    assert fresh.headers["ETag"] == new != old
    stale = client.patch(path, json={"name": "x"}, headers={**admin, "If-Match": old})
    assert stale.status_code == 412 and stale.mimetype == "application/problem+json"
    renamed = client.patch(path, json={"name": "y"}, headers={**admin, "If-Match": new})
    assert renamed.status_code == 200 and client.get(path, headers=admin).json["name"] == "y"


def test_list_rows_are_fresh_and_totals_catch_up_within_the_bound(two_workers: Any) -> None:
    reader, writer = two_workers
    admin = make_key(reader, role="admin")
    client = reader.test_client()
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json
    for n in range(3):
        add_prosumer(client, admin, grid["id"], n)
    url = f"/api/v1/grids/{grid['id']}/prosumers?page_size=2"
    assert client.get(url, headers=admin).headers["X-Total-Count"] == "3"
    added = add_prosumer(writer.test_client(), admin, grid["id"], 7, name="a first")
    listed = client.get(url, headers=admin)
    assert listed.json[0] == added  # rows are read on every request
    time.sleep(reader.config["KEY_CACHE_S"])
    listed = client.get(url, headers=admin)
    assert listed.headers["X-Total-Count"] == "4" and 'rel="next"' in listed.headers["Link"]
    add_prosumer(client, admin, grid["id"], 9)  # a write through this worker: counted at once
    assert client.get(url, headers=admin).headers["X-Total-Count"] == "5"


def test_a_page_served_before_follows_a_row_changed_by_another_process(
    database_url: str, tmp_path: Path, two_workers: Any
) -> None:
    app, _ = two_workers
    admin = make_key(app, role="admin")
    client = app.test_client()
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json
    first, second = (add_prosumer(client, admin, grid["id"], n) for n in range(2))
    url = f"/api/v1/grids/{grid['id']}/prosumers?page_size=10"
    assert client.get(url, headers=admin).json == client.get(url, headers=admin).json
    etag = client.get(f"/api/v1/prosumers/{second['id']}", headers=admin).headers["ETag"]
    args = [database_url, str(tmp_path), f"/api/v1/prosumers/{second['id']}", etag.strip('"')]
    done = subprocess.run(
        [sys.executable, "-c", PATCH_ELSEWHERE, *args, admin["Authorization"]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.stdout.split()[-2] == "200", done.stderr
    listed = client.get(url, headers=admin).json  # same page, same worker: one row changed
    assert [p["id"] for p in listed] == [first["id"], second["id"]]
    assert listed[0] == first and listed[1]["name"] == "renamed elsewhere"
    assert listed[1]["updated_at"] != second["updated_at"]


def test_a_remembered_query_still_refuses_bad_and_unknown_parameters(two_workers: Any) -> None:
    app, _ = two_workers
    admin = make_key(app, role="admin")
    client = app.test_client()
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json
    for n in range(3):
        add_prosumer(client, admin, grid["id"], n)
    url = f"/api/v1/grids/{grid['id']}/prosumers"
    for _ in range(2):  # the second time answers from what the first remembered, or errs again
        for query, field in (("page_size=0", "page_size"), ("kind=castle", "kind")):
            refused = client.get(f"{url}?{query}", headers=admin)
            assert refused.status_code == 400, refused.json
            assert refused.content_type == "application/problem+json"
            assert field in str(refused.json["errors"]) and field in refused.json["detail"]
        unknown = client.get(f"{url}?page_size=2&colour=red", headers=admin)
        assert unknown.status_code == 400 and "query.colour" in unknown.json["errors"]
        assert [len(client.get(f"{url}?page_size={n}", headers=admin).json) for n in (1, 2)] == [
            1,
            2,
        ]
        assert client.get(f"{url}?kind=producer", headers=admin).json == []


def test_paging_links_name_the_host_and_the_total_of_each_request(two_workers: Any) -> None:
    app, _ = two_workers
    admin = make_key(app, role="admin")
    client = app.test_client()
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json
    for n in range(2):
        add_prosumer(client, admin, grid["id"], n)
    path = f"/api/v1/grids/{grid['id']}/prosumers?page_size=2"
    assert "Link" not in client.get(path, headers=admin).headers  # one page: no links
    add_prosumer(client, admin, grid["id"], 2)
    for host in ("a.example", "b.example", "a.example"):
        listed = client.get(path, headers=admin, base_url=f"https://{host}")
        link = f"<https://{host}/api/v1/grids/{grid['id']}/prosumers?page_size=2&page=2>"
        assert listed.headers["Link"] == f'{link}; rel="next"'
        assert listed.headers["X-Total-Count"] == "3"
