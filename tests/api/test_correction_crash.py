"""A correction survives SIGKILL at each phase: the re-run (same Idempotency-Key, or the next
correction of the grid) leaves exactly one new version and one set of adjustments."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from migrations.runner import upgrade
from models.domain.timeframes import parse_instant
from models.services.corrections import correct_timeframe
from tests.api.test_metering import T0, line, put_bulk
from tests.conftest import GRID, add_prosumer, make_key, make_test_app

ROOT = Path(__file__).resolve().parents[2]
POINTS = ("correct:recorded", "correct:version_saved", "correct:adjusted")
WHO = ("crash-test", "admin")


def killed(var: Path, grid: str, key: str, body: dict[str, Any], crash: str) -> Any:
    """The correction in a child process that SIGKILLs itself at `crash`."""
    env = {**os.environ, "MINIGRID_CRASH_AT": crash}
    args = [sys.executable, "-m", "tests.api.correction_child", str(var), grid, T0, key]
    return subprocess.run(
        [*args, json.dumps(body)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def here(var: Path, grid: str, key: str, body: dict[str, Any]) -> tuple[int, bool]:
    """The correction (or its retry) in this process: (version, replayed)."""
    app = make_test_app(f"sqlite:///{var / 'registry.db'}", var)
    stores = app.extensions["minigrid"]
    try:
        view, replayed = correct_timeframe(stores, grid, parse_instant(T0), key, body, WHO)
    finally:
        stores.close()
    return view["version"], replayed


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, list[str]]:
    """Stores with timeframe T0 closed: A sells 3000 Wh, B and C buy 1000 and 500."""
    var = tmp_path_factory.mktemp("prepared")
    upgrade(f"sqlite:///{var / 'registry.db'}")
    app = make_test_app(f"sqlite:///{var / 'registry.db'}", var)
    client, admin = app.test_client(), make_key(app, role="admin")
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json["id"]
    ids = [add_prosumer(client, admin, grid, n)["id"] for n in range(3)]
    lines = [line(ids[0], 3000, 0), line(ids[1], 0, 1000), line(ids[2], 0, 500)]
    assert put_bulk(client, admin, grid, T0, lines).status_code == 200
    closed = client.post(f"/api/v1/grids/{grid}/timeframes/{T0}/close?force=true", headers=admin)
    assert closed.status_code == 201
    app.extensions["minigrid"].close()
    return var, grid, ids


def state(var: Path, grid: str) -> dict[str, Any]:
    """Versions, adjustments, correction rows, readings and events, without random ids."""
    app = make_test_app(f"sqlite:///{var / 'registry.db'}", var)
    stores = app.extensions["minigrid"]
    versions = stores.documents.collection("snapshot_versions").find({"grid_id": grid})
    adjusted = stores.documents.collection("adjustments").find({"grid_id": grid})
    with stores.uow(write=False) as uow:
        rows = [(c.version, c.status) for c in uow.corrections.of_timeframe(grid, _naive(T0))]
        readings = uow.registry.readings_at(grid, _naive(T0))
        events = uow.session.execute(
            text("SELECT type, prosumer_id FROM events ORDER BY position")
        ).all()
    stores.close()
    strip = ("_id", "correction_id", "content_hash", "created_at")
    return {
        "versions": [(v["version"], v["lines"], v["totals"]) for v in versions],
        "adjustments": [
            (a["version"], [{k: t[k] for k in t if k not in strip} for t in a["trades"]])
            for a in adjusted
        ],
        "rows": rows,
        "readings": readings,
        "events": [tuple(e) for e in events],
    }


def _naive(instant: str) -> Any:
    return parse_instant(instant).replace(tzinfo=None)


def test_a_killed_correction_reruns_to_one_version_and_one_set_of_adjustments(
    prepared: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    _, grid, ids = prepared
    body = {"reason": "late data", "readings": [line(ids[1], 0, 1500), line(ids[2], 200, 500)]}
    reference = shutil.copytree(prepared[0], tmp_path / "reference")
    assert here(reference, grid, "k", body) == (2, False)
    expected = state(reference, grid)
    assert [r for r in expected["rows"]] == [(2, "applied")] and len(expected["adjustments"]) == 1
    assert expected["events"].count(("reading.corrected", ids[1])) == 1
    for point in POINTS:
        var = shutil.copytree(prepared[0], tmp_path / point.replace(":", "_"))
        done = killed(var, grid, "k", body, point)
        assert done.returncode == -9, (point, done.stderr)
        assert here(var, grid, "k", body) == (2, True)  # the client's retry
        assert state(var, grid) == expected, point


def test_the_next_correction_finishes_a_killed_one_first(
    prepared: tuple[Path, str, list[str]], tmp_path: Path
) -> None:
    _, grid, ids = prepared
    var = shutil.copytree(prepared[0], tmp_path / "next")
    first = {"reason": "late data", "readings": [line(ids[1], 0, 1500)]}
    assert killed(var, grid, "k1", first, "correct:adjusted").returncode == -9
    second = {"reason": "another", "readings": [line(ids[2], 0, 800)]}
    assert here(var, grid, "k2", second) == (3, False)
    after = state(var, grid)
    assert after["rows"] == [(2, "applied"), (3, "applied")]
    assert [v[0] for v in after["versions"]] == [2, 3] and len(after["adjustments"]) == 2
    assert after["readings"][ids[1]] == (0, 1500) and after["readings"][ids[2]] == (0, 800)
