"""Timeframe snapshots: lines, totals, invariants, hashes, and the netto oracle."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from models.domain.hashing import canonical_json, content_hash
from models.domain.netting import Reading, net_timeframe, sum_netto

START = datetime(2026, 10, 1, 0, 15, tzinfo=UTC)
GRID = "7d3c9a10-0000-4000-8000-000000000001"
ids = st.lists(st.text("abcdefgh", min_size=1, max_size=3), min_size=0, max_size=12, unique=True)
wh = st.one_of(st.integers(0, 5000), st.integers(0, 10**15))


@st.composite
def grids(draw: st.DrawFn) -> tuple[list[str], dict[str, Reading]]:
    """Prosumer ids and readings for a random subset of them."""
    pids = draw(ids)
    present = draw(st.lists(st.sampled_from(pids), unique=True)) if pids else []
    readings = {p: Reading(p, draw(wh), draw(wh)) for p in present}
    return pids, readings


def test_hand_worked_snapshot() -> None:
    """A +3000, B -1000, C missing: surplus 3000, deficit 1000, export 2000."""
    readings = {"A": Reading("A", 3500, 500), "B": Reading("B", 0, 1000)}
    doc = net_timeframe(GRID, START, 15, ["C", "B", "A"], readings)
    assert doc["_id"] == f"{GRID}:2026-10-01T00:15:00Z"
    assert (doc["start"], doc["end"]) == ("2026-10-01T00:15:00Z", "2026-10-01T00:30:00Z")
    assert [(ln["prosumer_id"], ln["net_wh"], ln["missing"]) for ln in doc["lines"]] == [
        ("A", 3000, False),
        ("B", -1000, False),
        ("C", 0, True),
    ]
    assert doc["missing"] == ["C"]
    assert doc["totals"] == {
        "prosumers": 3,
        "production_wh": 3500,
        "consumption_wh": 1500,
        "surplus_wh": 3000,
        "deficit_wh": 1000,
        "net_wh": 2000,
        "export_wh": 2000,
        "import_wh": 0,
    }
    assert doc["content_hash"] == content_hash(doc)


@given(grids())
def test_snapshot_invariants(grid: tuple[list[str], dict[str, Reading]]) -> None:
    """Σ line nets = grid net = surplus - deficit = export - import; every prosumer has a line."""
    pids, readings = grid
    doc = net_timeframe(GRID, START, 15, pids, readings)
    totals, lines = doc["totals"], doc["lines"]
    assert [ln["prosumer_id"] for ln in lines] == sorted(pids)
    assert doc["missing"] == sorted(set(pids) - set(readings))
    assert sum(ln["net_wh"] for ln in lines) == totals["net_wh"]
    assert totals["surplus_wh"] - totals["deficit_wh"] == totals["net_wh"]
    assert totals["export_wh"] - totals["import_wh"] == totals["net_wh"]
    assert min(totals["deficit_wh"], totals["export_wh"], totals["import_wh"]) >= 0
    assert totals["export_wh"] * totals["import_wh"] == 0
    assert json.loads(canonical_json(doc)) == doc


@given(grids())
def test_content_hash_is_stable_and_sensitive(grid: tuple[list[str], dict[str, Reading]]) -> None:
    """Same input, same hash; any changed line changes it."""
    pids, readings = grid
    doc = net_timeframe(GRID, START, 15, pids, readings)
    assert doc == net_timeframe(GRID, START, 15, list(reversed(pids)), dict(readings))
    if doc["lines"]:
        doc["lines"][0]["produced_wh"] += 1
        assert content_hash(doc) != doc["content_hash"]


def test_canonical_json_is_sorted_and_compact() -> None:
    """Keys sorted, no spaces, NaN refused."""
    assert canonical_json({"b": 1, "a": [1, {"d": None, "c": "é"}]}) == (
        '{"a":[1,{"c":"é","d":null}],"b":1}'.encode()
    )
    with pytest.raises(ValueError):
        canonical_json({"x": float("nan")})


@pytest.mark.parametrize(
    "bad",
    [
        lambda: Reading("A", -1, 0),
        lambda: Reading("A", 0, 1.5),
        lambda: Reading("A", True, 0),
        lambda: net_timeframe(GRID, START, 15, ["A"], {"Z": Reading("Z", 1, 1)}),
        lambda: net_timeframe(GRID, START, 15, ["A"], {"A": Reading("B", 1, 1)}),
        lambda: net_timeframe(GRID, START + timedelta(minutes=5), 15, ["A"], {}),
    ],
)
def test_rejects_bad_input(bad: object) -> None:
    """Negative or non-int Wh, unknown prosumers, mis-keyed readings, unaligned starts."""
    with pytest.raises(ValueError):
        bad()  # type: ignore[operator]


@given(st.lists(grids(), min_size=0, max_size=6))
def test_sum_netto_equals_sums_of_readings(
    frames: list[tuple[list[str], dict[str, Reading]]],
) -> None:
    """Per-prosumer netto equals Σ of its readings; grid totals equal Σ of snapshot totals."""
    snaps = [
        net_timeframe(GRID, START + timedelta(minutes=15 * i), 15, pids, readings)
        for i, (pids, readings) in enumerate(frames)
    ]
    netto = sum_netto(snaps)
    expected: dict[str, list[int]] = {}
    for pids, readings in frames:
        for pid in pids:
            row = expected.setdefault(pid, [0, 0, 0, 0])
            reading = readings.get(pid, Reading(pid, 0, 0))
            row[0] += reading.produced_wh
            row[1] += reading.consumed_wh
            row[2] += 1
            row[3] += pid not in readings
    got = {
        r["prosumer_id"]: [r["produced_wh"], r["consumed_wh"], r["timeframes"], r["missing"]]
        for r in netto["prosumers"]
    }
    assert got == expected
    assert [r["prosumer_id"] for r in netto["prosumers"]] == sorted(expected)
    assert all(r["net_wh"] == r["produced_wh"] - r["consumed_wh"] for r in netto["prosumers"])
    assert netto["count"] == len(expected)
    assert netto["totals"]["timeframes"] == len(snaps)
    assert netto["totals"]["net_wh"] == sum(r["net_wh"] for r in netto["prosumers"])
    assert netto["totals"]["export_wh"] == sum(s["totals"]["export_wh"] for s in snaps)


def test_fifty_thousand_prosumers_net() -> None:
    """50,000 prosumers net with a hash (speed is measured by `make bench`)."""
    pids = [f"p{i:05d}" for i in range(50_000)]
    readings = {p: Reading(p, (i * 7919) % 4000, (i * 104729) % 4000) for i, p in enumerate(pids)}
    doc = net_timeframe(GRID, START, 15, pids, readings)
    assert doc["totals"]["prosumers"] == 50_000
