"""Property: on every embedded engine, netto over any range equals the sum of its snapshots."""

from __future__ import annotations

import itertools
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.documents import open_document_stores
from models.domain.netting import Reading, net_timeframe, sum_netto
from tests.documents.samples import BASE, ts

IDS = [f"p{i}" for i in range(6)]
_fresh = itertools.count()
energy = st.integers(min_value=0, max_value=10**9)
timeframe = st.dictionaries(st.sampled_from(IDS), st.tuples(energy, energy), max_size=len(IDS))


@pytest.mark.parametrize("engine", ["sqlite", "mongomock"])
@settings(max_examples=40, deadline=None, derandomize=True, database=None)
@given(
    frames=st.lists(timeframe, min_size=1, max_size=8),
    bounds=st.tuples(st.integers(0, 8), st.integers(0, 8)),
)
def test_netto_over_a_range_is_the_sum_of_its_snapshots(
    engine: str, frames: list[dict[str, tuple[int, int]]], bounds: tuple[int, int]
) -> None:
    low, high = sorted(bounds)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'd.db'}" if engine == "sqlite" else "mongomock://"
        stores = open_document_stores(url, snapshots_db=f"netto_prop_{next(_fresh)}")
        snaps = []
        for slot, frame in enumerate(frames):
            readings = {pid: Reading(pid, p, c) for pid, (p, c) in frame.items()}
            start = BASE + timedelta(minutes=15 * slot)
            snaps.append(stores.snapshots.save(net_timeframe("g", start, 15, IDS, readings)))
        rows, count, totals = stores.snapshots.netto("g", ts(low), ts(high), 0, 0)
        stores.close()
    oracle = sum_netto(snaps[low:high])
    assert (rows, count, totals) == (oracle["prosumers"], oracle["count"], oracle["totals"])
    assert totals["net_wh"] == sum(row["net_wh"] for row in rows)
    assert totals["surplus_wh"] - totals["deficit_wh"] == totals["net_wh"]
