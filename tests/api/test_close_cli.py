"""`flask close-timeframes --month/--from` closes what `flask settle` needs; settle says how."""

from __future__ import annotations

from typing import Any

from tests.api.test_metering import line, put_bulk
from tests.conftest import GRID, add_prosumer

DAILY = {**GRID, "timeframe_minutes": 1440}


def daily_grid(client: Any, admin: dict[str, str]) -> str:
    """A Stockholm grid of whole UTC days with one reading on 2026-10-05."""
    grid = client.post("/api/v1/grids", json=DAILY, headers=admin).json["id"]
    pid = add_prosumer(client, admin, grid, 0)["id"]
    put = put_bulk(client, admin, grid, "2026-10-05T00:00:00Z", [line(pid, 5, 0)])
    assert put.status_code == 200, put.json
    return str(grid)


def cli(app: Any, *args: str) -> Any:
    return app.test_cli_runner().invoke(args=list(args))


def test_month_closes_every_timeframe_settle_needs(app: Any, client: Any, admin: dict) -> None:
    grid = daily_grid(client, admin)
    refused = cli(app, "settle", "--grid", grid, "--month", "2026-10", "--dry-run")
    assert refused.exit_code == 1
    assert "31 of 31 timeframes of 2026-10 are not closed" in refused.output
    assert f"close-timeframes --grid {grid} --month 2026-10" in refused.output
    # October in Stockholm starts 2026-09-30T22:00Z: the first whole-day timeframe is Oct 1.
    closed = cli(app, "close-timeframes", "--grid", grid, "--month", "2026-10")
    assert closed.exit_code == 0, closed.output
    assert "closed 31 timeframe(s), last 2026-10-31T00:00:00Z" in closed.output
    again = cli(app, "close-timeframes", "--grid", grid, "--month", "2026-10")
    assert "closed 0 timeframe(s)" in again.output
    dry = cli(app, "settle", "--grid", grid, "--month", "2026-10", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "dry-run" in dry.output


def test_from_starts_before_the_first_reading(app: Any, client: Any, admin: dict) -> None:
    grid = daily_grid(client, admin)
    default = cli(app, "close-timeframes", "--grid", grid, "--until", "2026-10-06T00:00:00Z")
    assert "closed 1 timeframe(s), last 2026-10-05T00:00:00Z" in default.output
    since, until = "2026-10-02T12:00:00Z", "2026-10-07T00:00:00Z"
    earlier = cli(app, "close-timeframes", "--grid", grid, "--from", since, "--until", until)
    assert "closed 3 timeframe(s), last 2026-10-06T00:00:00Z" in earlier.output, earlier.output


def test_bad_options_are_refused(app: Any, client: Any, admin: dict) -> None:
    grid = daily_grid(client, admin)
    both = cli(app, "close-timeframes", "--month", "2026-10", "--until", "2026-10-02T00:00:00Z")
    assert both.exit_code == 2 and "cannot be combined" in both.output
    month = cli(app, "close-timeframes", "--grid", grid, "--month", "2026-13")
    assert month.exit_code == 2 and "--month" in month.output
    unknown = cli(app, "close-timeframes", "--grid", "no-such-grid")
    assert unknown.exit_code == 1 and "does not exist" in unknown.output
