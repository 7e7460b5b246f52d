"""Work done by separate OS processes against one SQLite store (spawned by the tests)."""

from __future__ import annotations

from typing import Any

from models.documents import open_document_stores
from tests.documents.samples import random_trades, snapshot, ts


def bump(counter: object, times: int) -> None:
    """Increment a shared counter `times` times with compare-and-set retries."""
    for _ in range(times):
        while True:
            value = counter.get("counter")["n"]  # type: ignore[attr-defined]
            if counter.update("counter", {"n": value + 1}, expect={"n": value}):  # type: ignore[attr-defined]
                break


def write_many(url: str, worker: int, count: int, barrier: Any) -> None:
    """Write docs, a counter, trades and (shared) snapshots through one process's stores."""
    stores = open_document_stores(url)
    items = stores.collection("items")
    items.insert_if_absent("counter", {"n": 0})
    barrier.wait(timeout=120)
    for i in range(count):
        items.put(f"w{worker}-{i:04d}", {"worker": worker, "i": i})
        bump(items, 1)
        if i % 10 == 0:
            stores.snapshots.save(snapshot("g1", i // 10, {"a": (i, 1, False)}))
    for slot in range(5):
        trades = random_trades(f"grid{worker}", slot, 200, ["p1", "p2", "p3"], seed=slot)
        stores.transactions.save_timeframe(f"grid{worker}", ts(slot), trades)
    stores.close()
