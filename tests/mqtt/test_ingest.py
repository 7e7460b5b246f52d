"""`flask ingest-mqtt`'s loop against a real broker (the embedded aedes and Mosquitto)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models.services.closing import close_timeframe
from tests.mqtt.helpers import Listener, Meters, ingesting, wait_for

DAY = "2026-10-05T00:00:00Z"


def topic(grid_id: str, prosumer_id: str) -> str:
    return f"minigrid/{grid_id}/meters/{prosumer_id}/readings"


def readings_at(stores: Any, grid_id: str, day: str = DAY) -> dict[str, tuple[int, int]]:
    with stores.uow(write=False) as uow:
        start = datetime.fromisoformat(day.replace("Z", "+00:00")).replace(tzinfo=None)
        return uow.registry.readings_at(grid_id, start)


def test_readings_are_written_and_bad_ones_answered_with_problems(
    broker_url: str, stores: Any, meters_grid: Any
) -> None:
    grid, (p1, p2, p3) = meters_grid.grid_id, meters_grid.prosumers
    errors = Listener(broker_url, f"minigrid/{grid}/meters/+/errors")
    meters = Meters(broker_url)
    with ingesting(stores, broker_url, grid_id=grid) as ingest:
        meters.publish(topic(grid, p1), {"start": DAY, "produced_wh": 3000, "consumed_wh": 500})
        meters.publish(topic(grid, p2), {"start": DAY, "produced_wh": 0, "consumed_wh": 1800})
        assert wait_for(lambda: len(readings_at(stores, grid)) == 2)
        assert readings_at(stores, grid) == {p1: (3000, 500), p2: (0, 1800)}
        meters.publish(topic(grid, p3), {"start": DAY, "produced_wh": -1, "consumed_wh": 1})
        where, problem = errors.next()
        assert where == f"minigrid/{grid}/meters/{p3}/errors"
        assert problem["status"] == 422 and "produced_wh" in problem["errors"]  # as over HTTP
        assert problem["instance"] == topic(grid, p3)
        meters.publish(topic(grid, p3), b"{not json")
        assert errors.next()[1]["status"] == 400
        meters.publish(
            topic(grid, p3), {"start": "2026-10-05T00:07:00Z", "produced_wh": 1, "consumed_wh": 1}
        )
        boundary = errors.next()[1]
        assert boundary["status"] == 422 and "timeframe boundary" in boundary["detail"]
        stranger = "00000000-0000-4000-8000-000000000000"
        meters.publish(topic(grid, stranger), {"start": DAY, "produced_wh": 1, "consumed_wh": 1})
        assert errors.next()[1]["status"] == 404
        close_timeframe(stores, grid, datetime(2026, 10, 5, tzinfo=UTC))
        meters.publish(topic(grid, p1), {"start": DAY, "produced_wh": 9, "consumed_wh": 9})
        closed = errors.next()[1]
        assert closed["status"] == 409 and "immutable" in closed["detail"]
        meters.publish(topic(grid, p1), {"start": DAY, "produced_wh": 3000, "consumed_wh": 500})
        meters.publish(
            topic(grid, p3), {"start": "2026-10-06T00:00:00Z", "produced_wh": 7, "consumed_wh": 0}
        )  # the consumer goes on
        assert wait_for(lambda: readings_at(stores, grid, "2026-10-06T00:00:00Z"))
        stats = ingest["stats"]
    assert readings_at(stores, grid) == {p1: (3000, 500), p2: (0, 1800)}
    assert stats.counts["inserted"] == 3 and stats.counts["unchanged"] == 1
    assert stats.refused[400] == 1 and stats.refused[409] == 1 and stats.refused[422] == 2
    assert stats.acked == stats.received
    meters.close()
    errors.close()
