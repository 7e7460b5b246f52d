"""The FlowStore and WeatherStore contract, run on every document engine."""

from __future__ import annotations

from typing import Any

import pytest

from models.documents.shapes import FLOW_FIELDS, FLOW_KEY
from models.ports import DocumentStores

BIG = 2**62 + 7


def flow(pid: str, start: str, grid: str = "g1", **values: int) -> dict[str, Any]:
    return {
        "grid_id": grid,
        "prosumer_id": pid,
        "start": start,
        **dict.fromkeys(FLOW_FIELDS, 0),
        **values,
    }


def t(minute: int) -> str:
    return f"2026-10-01T{minute // 60:02d}:{minute % 60:02d}:00Z"


def test_flows_upsert_is_keyed_and_idempotent(stores: DocumentStores) -> None:
    docs = [flow(p, t(m), produced_wh=m, stored_wh=BIG) for p in ("a", "b") for m in (0, 15, 30)]
    stores.flows.upsert(docs)
    stores.flows.upsert(docs)
    stores.flows.upsert([flow("a", t(15), produced_wh=99, sold_wh=1)])
    rows, total = stores.flows.of_prosumer("g1", "a", t(0), t(45), 0, 0)
    assert total == 3
    assert [r["start"] for r in rows] == [t(0), t(15), t(30)]
    assert rows[1] == flow("a", t(15), produced_wh=99, sold_wh=1)
    assert rows[0]["stored_wh"] == BIG and type(rows[0]["stored_wh"]) is int


def test_flows_range_pages_and_other_grids(stores: DocumentStores) -> None:
    stores.flows.upsert([flow("a", t(m)) for m in range(0, 150, 15)])
    stores.flows.upsert([flow("a", t(0), grid="g2", bought_wh=5)])
    rows, total = stores.flows.of_prosumer("g1", "a", t(15), t(90), 1, 2)
    assert total == 5
    assert [r["start"] for r in rows] == [t(30), t(45)]
    assert stores.flows.of_prosumer("g1", "zz", t(0), t(999), 0, 0) == ([], 0)
    assert stores.flows.at("g2", t(0)) == {"a": flow("a", t(0), grid="g2", bought_wh=5)}
    assert set(stores.flows.at("g1", t(0))) == {"a"}
    assert stores.flows.at("g1", t(1)) == {}


def test_flows_refuse_a_float(stores: DocumentStores) -> None:
    with pytest.raises(TypeError):
        stores.flows.upsert([flow("a", t(0), produced_wh=1.5)])  # type: ignore[arg-type]


def row(time: str, wind: str = "5", ghi: str = "100", temp: str = "10.5") -> dict[str, str]:
    return {"time": time, "wind_speed_m_s": wind, "ghi_w_m2": ghi, "temperature_c": temp}


def test_weather_replace_and_read_a_range(stores: DocumentStores) -> None:
    stores.weather.replace("g1", [row(t(0)), row(t(15), wind="6.25"), row(t(30))])
    stores.weather.replace("g2", [row(t(0), temp="-3")])
    assert stores.weather.series("g1") == [row(t(0)), row(t(15), wind="6.25"), row(t(30))]
    assert stores.weather.series("g1", t(15), t(30)) == [row(t(15), wind="6.25")]
    stores.weather.replace("g1", [row(t(45))])
    assert stores.weather.series("g1") == [row(t(45))]
    assert stores.weather.series("g2") == [row(t(0), temp="-3")]
    stores.weather.replace("g2", [])
    assert stores.weather.series("g2") == []


def as_row(doc: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(doc[k] for k in (*FLOW_KEY, *FLOW_FIELDS))


def test_flow_rows_are_the_same_documents_keyed_and_idempotent(stores: DocumentStores) -> None:
    docs = [flow(p, t(m), produced_wh=m, stored_wh=BIG) for p in ("b", "a") for m in (30, 0, 15)]
    stores.flows.upsert_rows([as_row(d) for d in docs])
    stores.flows.upsert_rows(iter([as_row(d) for d in docs]))  # any iterable
    stores.flows.upsert_rows([as_row(flow("a", t(15), produced_wh=99, sold_wh=1))])
    rows, total = stores.flows.of_prosumer("g1", "a", t(0), t(45), 0, 0)
    assert total == 3
    assert rows == [
        flow("a", t(0), produced_wh=0, stored_wh=BIG),
        flow("a", t(15), produced_wh=99, sold_wh=1),
        flow("a", t(30), produced_wh=30, stored_wh=BIG),
    ]
    assert stores.flows.at("g1", t(30))["b"] == flow("b", t(30), produced_wh=30, stored_wh=BIG)
    stores.flows.upsert_rows([])


def test_flow_rows_and_documents_overwrite_each_other(stores: DocumentStores) -> None:
    stores.flows.upsert([flow("a", t(0), bought_wh=5)])
    stores.flows.upsert_rows([as_row(flow("a", t(0), bought_wh=6))])
    assert stores.flows.at("g1", t(0)) == {"a": flow("a", t(0), bought_wh=6)}
    stores.flows.upsert([flow("a", t(0), bought_wh=7)])
    assert stores.flows.at("g1", t(0)) == {"a": flow("a", t(0), bought_wh=7)}


@pytest.mark.parametrize(
    "bad",
    [
        ("g1", "a", t(15), 1.5, *[0] * 9),
        ("g1", "a", t(15), True, *[0] * 9),
        ("g1", "a", t(15), "7", *[0] * 9),
        ("g1", 5, t(15), *[0] * 10),
        ("g1", "a", t(15), *[0] * 9),
    ],
)
def test_flow_rows_refuse_anything_but_text_keys_and_ints(
    stores: DocumentStores, bad: tuple[Any, ...]
) -> None:
    good = as_row(flow("a", t(0)))
    with pytest.raises(TypeError):
        stores.flows.upsert_rows([good, bad])
    assert stores.flows.of_prosumer("g1", "a", t(0), t(45), 0, 0) == ([], 0)


def test_flows_delete_grid_removes_one_grid_only(stores: DocumentStores) -> None:
    stores.flows.upsert([flow("a", t(0)), flow("a", t(0), grid="g2")])
    stores.flows.delete_grid("g1")
    assert stores.flows.at("g1", t(0)) == {}
    assert list(stores.flows.at("g2", t(0))) == ["a"]
