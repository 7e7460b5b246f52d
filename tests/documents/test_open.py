"""Choosing and opening the document engine from a URL."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from pymongo.errors import PyMongoError

from models.documents import open_document_stores
from models.documents.mongo import MongoStores
from models.documents.sqlite import SqliteStores


def test_unknown_scheme_is_one_clear_error() -> None:
    with pytest.raises(ValueError, match="Unknown document store URL scheme 'redis'"):
        open_document_stores("redis://localhost/0")
    with pytest.raises(ValueError, match="sqlite:///"):
        open_document_stores("sqlite://")


def test_sqlite_relative_path_creates_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    stores = open_document_stores("sqlite:///var/data/minigrid.db")
    assert isinstance(stores, SqliteStores)
    stores.collection("items").put("a", {"v": 1})
    stores.ping(1.0)
    stores.close()
    assert (tmp_path / "var" / "data" / "minigrid.db").is_file()


def test_sqlite_absolute_path_uses_wal(tmp_path: Path) -> None:
    stores = open_document_stores(f"sqlite:///{tmp_path}/abs/dir/minigrid.db")
    assert isinstance(stores, SqliteStores) and stores.path.startswith("/")
    conn = stores._db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    assert conn.execute("PRAGMA busy_timeout").fetchone()[0] >= 5000
    stores.close()


def test_mongodb_client_is_bounded_and_lazy() -> None:
    began = time.perf_counter()
    stores = open_document_stores("mongodb://127.0.0.1:9/", timeout_s=0.3)
    assert isinstance(stores, MongoStores)
    options = stores._client.options
    assert options.server_selection_timeout == 0.3
    assert options.pool_options.connect_timeout == 0.3
    assert options.pool_options.socket_timeout == 30.0
    with pytest.raises(PyMongoError):
        stores.ping(0.3)
    stores.close()
    assert time.perf_counter() - began < 3


def test_mongodb_url_options_win_over_defaults() -> None:
    stores = open_document_stores("mongodb://127.0.0.1:9/?serverSelectionTimeoutMS=700")
    assert isinstance(stores, MongoStores)
    assert stores._client.options.server_selection_timeout == 0.7
    assert stores._client.options.pool_options.connect_timeout == 2.0
    stores.close()


def test_mongomock_stores_are_separate() -> None:
    one, two = open_document_stores("mongomock://"), open_document_stores("mongomock://")
    one.collection("items").put("a", {"v": 1})
    assert two.collection("items").get("a") is None
    one.close()
    two.close()


def test_sqlite_file_from_before_communities_gains_the_column(tmp_path: Path) -> None:
    """A snap_lines table made without community_id gets it when the store opens the file."""
    import sqlite3

    from tests.documents.samples import snapshot, ts

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE snap_lines (grid_id TEXT NOT NULL, prosumer_id TEXT NOT NULL,"
            " start TEXT NOT NULL, produced_wh INTEGER NOT NULL, consumed_wh INTEGER NOT NULL,"
            " net_wh INTEGER NOT NULL, missing INTEGER NOT NULL, body TEXT,"
            " PRIMARY KEY (grid_id, prosumer_id, start)) WITHOUT ROWID"
        )
    stores = open_document_stores(f"sqlite:///{path}")
    try:
        doc = snapshot("g", 0, {"a": (1, 2, False)})
        doc["lines"][0]["community_id"] = "k"
        stores.snapshots.save(doc)
        got = stores.snapshots.get("g", ts(0))
        assert got is not None and got["lines"][0]["community_id"] == "k"
    finally:
        stores.close()


def test_sqlite_file_from_before_trade_columns_reads_old_bodies_and_gains_them(
    tmp_path: Path,
) -> None:
    """tx_trades made with only the JSON body: its rows read back, new ones use the columns."""
    import json
    import sqlite3

    from tests.documents.samples import trade, ts

    path = tmp_path / "old.db"
    old = trade("g", 0, 0, "p1", "p2", 5, 7)
    with sqlite3.connect(path) as conn:
        conn.execute(
            "CREATE TABLE tx_trades (id TEXT PRIMARY KEY, grid_id TEXT NOT NULL,"
            " timeframe_start TEXT NOT NULL, line INTEGER NOT NULL, seller TEXT NOT NULL,"
            " buyer TEXT NOT NULL, energy_wh INTEGER NOT NULL, amount_minor INTEGER NOT NULL,"
            " body TEXT NOT NULL)"
        )
        conn.execute(
            "INSERT INTO tx_trades VALUES (?, 'g', ?, 0, 'p1', 'p2', 5, 7, ?)",
            (old["_id"], ts(0), json.dumps(old)),
        )
    stores = open_document_stores(f"sqlite:///{path}")
    try:
        assert stores.transactions.timeframe("g", ts(0)) == [old]
        new = {k: old[k] for k in ("_id", "grid_id", "timeframe_start", "currency", "line")}
        new.update(seller="p1", buyer="p3", energy_wh=6, unit_price="0.1", amount_minor=1)
        new.update(kind="local", order_id=None)
        stores.transactions.save_timeframe("g", ts(0), [new])
        assert stores.transactions.timeframe("g", ts(0)) == [new]
    finally:
        stores.close()
