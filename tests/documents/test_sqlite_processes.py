"""The SQLite store shared by worker processes: nothing lost, nothing duplicated, persistent."""

from __future__ import annotations

import multiprocessing
from multiprocessing.process import BaseProcess
from pathlib import Path

from models.documents import open_document_stores
from models.documents.sqlite import SqliteStores
from tests.documents.samples import snapshot, ts
from tests.documents.workers import write_many

COUNT = 400


def reap(procs: list[BaseProcess]) -> None:
    """Kill the workers still running (a failed or timed-out test leaves none behind)."""
    for proc in procs:
        if proc.pid is not None and proc.is_alive():
            proc.kill()
            proc.join()


def test_two_spawned_processes_lose_nothing(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/shared/minigrid.db"
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(2)
    procs = [ctx.Process(target=write_many, args=(url, w, COUNT, barrier)) for w in range(2)]
    try:
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(timeout=300)
        assert [p.exitcode for p in procs] == [0, 0]
    finally:
        reap(procs)
    stores = open_document_stores(url)
    items = stores.collection("items")
    assert items.count({"worker": 0}) == items.count({"worker": 1}) == COUNT
    assert items.get("counter") == {"_id": "counter", "n": 2 * COUNT}
    docs, total = stores.snapshots.list_totals("g1", ts(0), ts(99), 0, 0)
    assert total == COUNT // 10
    assert [d["start"] for d in docs] == [ts(s) for s in range(COUNT // 10)]
    for w in range(2):
        assert stores.transactions.list(f"grid{w}", ts(0), ts(9), None, None, 0, 1)[1] == 1000
    stores.close()


def test_data_persists_after_close_and_reopen(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/minigrid.db"
    stores = open_document_stores(url)
    saved = stores.snapshots.save(snapshot("g1", 0, {"a": (2**62, 1, False)}))
    stores.collection("state").put("k", {"v": 2**63 - 1})
    stores.close()
    again = open_document_stores(url)
    assert again.snapshots.get("g1", ts(0)) == saved
    assert again.collection("state").get("k") == {"_id": "k", "v": 2**63 - 1}
    again.close()


def _child_writes(stores: SqliteStores, parent_conn: object) -> None:
    """In a forked child: write through the inherited stores, on a connection of its own."""
    if stores._db.conn is parent_conn:
        raise SystemExit(3)
    stores.collection("items").put("child", {"from": "child"})


def test_forked_child_opens_its_own_connection(tmp_path: Path) -> None:
    stores = open_document_stores(f"sqlite:///{tmp_path}/minigrid.db")
    items = stores.collection("items")
    items.put("parent", {"from": "parent"})
    assert isinstance(stores, SqliteStores)
    args = (stores, stores._db.conn)
    child = multiprocessing.get_context("fork").Process(target=_child_writes, args=args)
    try:
        child.start()
        child.join(timeout=30)
        assert child.exitcode == 0
    finally:
        reap([child])
    items.put("after", {"from": "parent"})
    assert [d["_id"] for d in items.find()] == ["after", "child", "parent"]
    stores.close()
    assert Path(tmp_path, "minigrid.db").stat().st_size > 0
