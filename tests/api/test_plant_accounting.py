"""The plant's part of closed timeframes through HTTP, on SQLite and PostgreSQL: the README's
worked example closed timeframe by timeframe, read back from the snapshot and the list."""

from __future__ import annotations

from typing import Any

from tests.conftest import add_prosumer

STARTS = [f"2026-10-05T10:{m:02d}:00Z" for m in (0, 15, 30, 45)]
# (A produced, B consumed, C consumed): A +2000 Wh; import needs 6000, 9000, 12000, 13000 Wh
READINGS = [(2000, 5000, 3000), (2000, 6000, 5000), (2000, 8000, 6000), (2000, 9000, 6000)]
# the README table: generated, to buffer, from buffer, delivered, unserved, buffer after, grams
EXPECTED = [
    (7_500, 1_500, 0, 6_000, 0, 1_500, 4_920),
    (10_000, 1_000, 0, 9_000, 0, 2_500, 7_380),
    (10_000, 0, 2_000, 12_000, 0, 500, 9_840),
    (10_000, 0, 500, 10_500, 2_500, 0, 8_610),
]
COLUMNS = (
    "generated_wh",
    "to_buffer_wh",
    "from_buffer_wh",
    "delivered_wh",
    "unserved_wh",
    "buffer_after_wh",
    "carbon_g",
)


def set_plant(client: Any, headers: dict[str, str], grid_id: str, **changes: Any) -> None:
    url = f"/api/v1/grids/{grid_id}/plant"
    etag = client.get(url, headers=headers).headers["ETag"]
    done = client.patch(url, json=changes, headers={**headers, "If-Match": etag})
    assert done.status_code == 200, done.json


def put_readings(
    client: Any, headers: dict[str, str], grid_id: str, start: str, lines: Any
) -> None:
    body = {
        "readings": [
            {"prosumer_id": pid, "produced_wh": p, "consumed_wh": c} for pid, p, c in lines
        ]
    }
    url = f"/api/v1/grids/{grid_id}/timeframes/{start}/readings"
    assert client.put(url, json=body, headers=headers).status_code == 200


def close(client: Any, headers: dict[str, str], grid_id: str, start: str) -> dict[str, Any]:
    done = client.post(f"/api/v1/grids/{grid_id}/timeframes/{start}/close", headers=headers)
    assert done.status_code == 201, done.json
    return done.json  # type: ignore[no-any-return]


def test_closed_timeframes_carry_the_plant_buffer_and_report_it(
    client: Any, admin: dict[str, str], grid: dict[str, Any]
) -> None:
    g = grid["id"]
    a, b, c = (add_prosumer(client, admin, g, n)["id"] for n in range(3))
    set_plant(client, admin, g, max_output_w=40_000, ratio="0.2", buffer_capacity_wh=5_000)
    for start, (produced, used_b, used_c) in zip(STARTS, READINGS, strict=True):
        put_readings(client, admin, g, start, [(a, produced, 0), (b, 0, used_b), (c, 0, used_c)])
    closed = [close(client, admin, g, start)["plant"] for start in STARTS]
    assert [tuple(p[k] for k in COLUMNS) for p in closed] == EXPECTED
    assert [p["buffer_before_wh"] for p in closed] == [0, 1_500, 2_500, 500]
    assert closed[0]["need_wh"] == 6_000 and closed[0]["max_output_wh"] == 10_000
    assert (closed[0]["ratio"], closed[0]["carbon_g_per_kwh"], closed[0]["status"]) == (
        "0.2",
        820,
        "running",
    )

    one = client.get(f"/api/v1/grids/{g}/timeframes/{STARTS[3]}", headers=admin)
    assert one.status_code == 200 and one.json["plant"] == closed[3]
    assert one.json["totals"]["import_wh"] == one.json["plant"]["need_wh"] == 13_000
    listed = client.get(
        f"/api/v1/grids/{g}/snapshots",
        query_string={"from": STARTS[0], "to": "2026-10-05T11:00:00Z"},
        headers=admin,
    )
    assert listed.status_code == 200
    assert [item["plant"] for item in listed.json] == closed  # the list items carry it too


def test_a_stopped_plant_and_a_broken_chain(
    client: Any, admin: dict[str, str], grid: dict[str, Any]
) -> None:
    g = grid["id"]
    a, b = (add_prosumer(client, admin, g, n)["id"] for n in range(2))
    set_plant(client, admin, g, max_output_w=4_000, ratio="0.5", buffer_capacity_wh=800)
    for start in STARTS:
        put_readings(client, admin, g, start, [(a, 0, 0), (b, 0, 700)])
    first = close(client, admin, g, STARTS[0])["plant"]  # 1000 Wh max, 700 needed
    assert (first["generated_wh"], first["to_buffer_wh"], first["buffer_after_wh"]) == (
        1000,
        300,
        300,
    )
    set_plant(client, admin, g, status="stopped")
    stopped = close(client, admin, g, STARTS[1])["plant"]
    assert (stopped["generated_wh"], stopped["from_buffer_wh"], stopped["unserved_wh"]) == (
        0,
        300,
        400,
    )
    assert stopped["delivered_wh"] == 300 and stopped["carbon_g"] == 246  # 300 * 0.82
    set_plant(client, admin, g, status="running")
    skipped = close(client, admin, g, STARTS[3])["plant"]  # 10:30 is still open
    assert skipped["buffer_before_wh"] == 0 and skipped["unserved_wh"] == 0
