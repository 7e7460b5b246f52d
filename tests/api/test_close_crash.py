"""Closing survives SIGKILL at every phase: a re-run yields one identical snapshot and trade set."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from migrations.runner import upgrade
from models.services.closing import trades_hash
from tests.api.test_metering import T0, T1, line, put_bulk
from tests.conftest import GRID, add_prosumer, make_key, make_test_app

ROOT = Path(__file__).resolve().parents[2]
UNTIL = "2026-10-01T00:30:00Z"


def flask(var: Path, *args: str, crash: str | None = None) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{var / 'registry.db'}",
        "MONGO_URL": f"sqlite:///{var / 'documents.db'}",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("MINIGRID_CRASH_AT", None)
    if crash:
        env["MINIGRID_CRASH_AT"] = crash
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A registry and document store with two timeframes of readings, not yet closed."""
    var = tmp_path_factory.mktemp("prepared")
    upgrade(f"sqlite:///{var / 'registry.db'}")
    app = make_test_app(f"sqlite:///{var / 'registry.db'}", var)
    client, admin = app.test_client(), make_key(app, role="admin")
    grid = client.post("/api/v1/grids", json=GRID, headers=admin).json["id"]
    ids = [add_prosumer(client, admin, grid, n)["id"] for n in range(4)]
    put_bulk(
        client,
        admin,
        grid,
        T0,
        [line(ids[0], 3001, 7), line(ids[1], 0, 999), line(ids[2], 5, 1203), line(ids[3], 333, 0)],
    )
    put_bulk(client, admin, grid, T1, [line(ids[0], 10, 400), line(ids[1], 250, 0)])
    app.extensions["minigrid"].close()
    return var, grid


def state(var: Path, grid: str) -> dict[str, Any]:
    app = make_test_app(f"sqlite:///{var / 'registry.db'}", var)
    docs = app.extensions["minigrid"].documents
    result = {}
    for start, end in ((T0, T1), (T1, UNTIL)):
        _, total = docs.snapshots.list_totals(grid, start, end, 0, 10)
        result[start] = (
            total,
            docs.snapshots.get(grid, start)["content_hash"],
            trades_hash(docs.transactions.timeframe(grid, start)),
        )
    app.extensions["minigrid"].close()
    return result


def copy(prepared: tuple[Path, str], target: Path) -> Path:
    shutil.copytree(prepared[0], target)
    return target


def close_here(var: Path, grid: str) -> Any:
    """`flask close-timeframes` in this process, on the stores in `var` (no process start-up)."""
    app = make_test_app(f"sqlite:///{var / 'registry.db'}", var)
    try:
        args = ["close-timeframes", "--grid", grid, "--until", UNTIL]
        return app.test_cli_runner().invoke(args=args)
    finally:
        app.extensions["minigrid"].close()


def test_killed_close_reruns_to_the_same_result(prepared: tuple[Path, str], tmp_path: Path) -> None:
    """Only the killed runs need a process of their own; the reference and re-runs run here."""
    grid = prepared[1]
    reference = copy(prepared, tmp_path / "reference")
    assert close_here(reference, grid).exit_code == 0
    expected = state(reference, grid)
    assert all(total == 1 for total, _, _ in expected.values())
    for point in ("close:frozen", "close:snapshot_saved", "close:trades_saved:2"):
        var = copy(prepared, tmp_path / point.replace(":", "_"))
        killed = flask(var, "close-timeframes", "--grid", grid, "--until", UNTIL, crash=point)
        assert killed.returncode == -9, (point, killed.stderr)
        rerun = close_here(var, grid)
        assert rerun.exit_code == 0, rerun.output
        assert state(var, grid) == expected, point
        assert "closed 0 timeframe(s)" in close_here(var, grid).output
