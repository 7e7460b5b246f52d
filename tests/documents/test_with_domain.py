"""The stores against the real domain: netting's snapshots and its netto oracle."""

from __future__ import annotations

import random
from datetime import timedelta

from models.domain.hashing import content_hash
from models.domain.netting import Reading, net_timeframe, sum_netto
from models.ports import DocumentStores
from tests.documents.samples import BASE, ts

IDS = [f"pros-{i:03d}" for i in range(40)]


def _domain_snapshots(grid: str, count: int, seed: int) -> list[dict]:
    """`count` consecutive snapshots from netting, some prosumers missing in each."""
    rng = random.Random(seed)
    snaps = []
    for slot in range(count):
        readings = {
            pid: Reading(pid, rng.choice([0, rng.randint(0, 2**40)]), rng.randint(0, 9_000))
            for pid in IDS
            if rng.random() > 0.1
        }
        snaps.append(net_timeframe(grid, BASE + timedelta(minutes=15 * slot), 15, IDS, readings))
    return snaps


def test_domain_snapshots_round_trip_with_equal_hash(stores: DocumentStores) -> None:
    for snap in _domain_snapshots("g1", 3, seed=1):
        stored = stores.snapshots.save(snap)
        got = stores.snapshots.get("g1", snap["start"])
        assert stored == got == snap
        assert content_hash(got) == snap["content_hash"]  # type: ignore[arg-type]


def test_netto_equals_the_domain_oracle(stores: DocumentStores) -> None:
    snaps = _domain_snapshots("g1", 12, seed=2)
    for snap in snaps:
        stores.snapshots.save(snap)
    oracle = sum_netto(snaps[2:10])
    rows, count, totals = stores.snapshots.netto("g1", ts(2), ts(10), 0, 0)
    assert (rows, count, totals) == (oracle["prosumers"], oracle["count"], oracle["totals"])
    page, count, _ = stores.snapshots.netto("g1", ts(2), ts(10), 15, 10)
    assert (page, count) == (oracle["prosumers"][15:25], 40)


def test_lines_with_extra_fields_round_trip(stores: DocumentStores) -> None:
    snap = _domain_snapshots("g1", 1, seed=3)[0]
    snap["lines"][0]["note"] = {"estimated": True}
    del snap["lines"][1]["missing"]
    snap["lines"][2]["missing"] = 0
    stores.snapshots.save(snap)
    assert stores.snapshots.get("g1", snap["start"]) == snap
