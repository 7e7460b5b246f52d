"""The document-store contract, run on every engine (SQLite, mongomock, MongoDB if set)."""

from __future__ import annotations

from typing import Any

import pytest

from models.documents.mongo import MongoStores
from models.ports import DocumentStores
from tests.documents.samples import content_hash, random_trades, snapshot, trade, ts

BIG = 2**62 + 12345


# --- Collection -------------------------------------------------------------------------------


def test_collection_put_get_replace(stores: DocumentStores) -> None:
    items = stores.collection("items")
    assert items.get("a") is None
    items.put("a", {"n": BIG, "tags": ["x", 1], "sub": {"k": None}, "ok": True})
    got = items.get("a")
    assert got == {"_id": "a", "n": BIG, "tags": ["x", 1], "sub": {"k": None}, "ok": True}
    assert type(got["n"]) is int  # type: ignore[index]
    items.put("a", {"m": 1})
    assert items.get("a") == {"_id": "a", "m": 1}


def test_collection_rejects_a_foreign_id_and_bad_names(stores: DocumentStores) -> None:
    items = stores.collection("items")
    with pytest.raises(ValueError):
        items.put("a", {"_id": "b"})
    with pytest.raises(ValueError):
        stores.collection("no-dashes; drop")
    with pytest.raises(ValueError):
        items.find({"a.b": 1})


def test_collections_are_separate(stores: DocumentStores) -> None:
    stores.collection("one").put("k", {"v": 1})
    assert stores.collection("two").get("k") is None
    assert stores.collection("one").get("k") == {"_id": "k", "v": 1}


def test_put_many_inserts_and_replaces(stores: DocumentStores) -> None:
    items = stores.collection("items")
    items.put_many({f"k{i:04d}": {"i": i, "even": i % 2 == 0} for i in range(2500)})
    items.put_many({"k0001": {"i": -1}, "new": {"i": 9}})
    assert items.count() == 2501
    assert items.get("k0001") == {"_id": "k0001", "i": -1}
    assert items.count({"even": True}) == 1250


def test_insert_if_absent_keeps_the_first(stores: DocumentStores) -> None:
    items = stores.collection("items")
    assert items.insert_if_absent("o", {"state": "planned"}) == {"_id": "o", "state": "planned"}
    assert items.insert_if_absent("o", {"state": "other"}) == {"_id": "o", "state": "planned"}
    assert items.count() == 1


def test_update_with_expectations(stores: DocumentStores) -> None:
    items = stores.collection("items")
    items.put("s", {"state": "planned", "nonce": 0})
    assert not items.update("missing", {"state": "sent"})
    assert not items.update("s", {"state": "sent"}, expect={"state": "sent"})
    assert items.get("s") == {"_id": "s", "state": "planned", "nonce": 0}
    assert items.update("s", {"state": "sent", "tx": "0xab"}, expect={"state": "planned"})
    assert items.get("s") == {"_id": "s", "state": "sent", "nonce": 0, "tx": "0xab"}
    assert items.update("s", {"nonce": 1}, expect={"nonce": 0, "absent": None})
    assert not items.update("s", {"nonce": 2}, expect={"nonce": 0})
    assert items.update("s", {}, expect={"nonce": 1})
    with pytest.raises(ValueError):
        items.update("s", {"_id": "other"})


def test_find_filters_sorts_and_pages(stores: DocumentStores) -> None:
    items = stores.collection("items")
    docs = {f"d{i}": {"period": f"2026-{1 + i % 3:02d}", "rank": i % 4, "i": i} for i in range(12)}
    items.put_many(docs)
    march = items.find({"period": "2026-03"}, sort=[("rank", -1), ("i", 1)])
    assert [d["i"] for d in march] == [11, 2, 5, 8]
    assert [d["_id"] for d in items.find(sort=[("rank", 1)], limit=4)] == ["d0", "d4", "d8", "d1"]
    assert [d["i"] for d in items.find(sort=[("i", 1)], skip=10)] == [10, 11]
    assert items.find({"period": "2026-01", "rank": 3}) == [{"_id": "d3", **docs["d3"]}]
    assert items.count({"rank": 0}) == 3
    assert items.find({"nope": "x"}) == []


def test_find_matches_null_and_missing(stores: DocumentStores) -> None:
    items = stores.collection("items")
    items.put_many({"a": {"v": None}, "b": {}, "c": {"v": 0}})
    assert [d["_id"] for d in items.find({"v": None})] == ["a", "b"]
    assert items.find({"_id": "c"}) == [{"_id": "c", "v": 0}]


# --- SnapshotStore ----------------------------------------------------------------------------

READINGS = {"p3": (500, 200, False), "p1": (0, 700, False), "p2": (BIG, 1, True)}


def test_snapshot_round_trip_is_exact(stores: DocumentStores) -> None:
    snap = snapshot("g1", 0, READINGS)
    stored = stores.snapshots.save(snap)
    expected = {**snap, "lines": sorted(snap["lines"], key=lambda x: x["prosumer_id"])}
    assert stored == expected
    got = stores.snapshots.get("g1", ts(0))
    assert got == expected
    assert content_hash(got) == snap["content_hash"]  # type: ignore[arg-type]
    assert [type(x["produced_wh"]) for x in got["lines"]] == [int] * 3  # type: ignore[index]
    assert stores.snapshots.get("g1", ts(1)) is None
    assert stores.snapshots.get("g2", ts(0)) is None


def test_snapshot_is_immutable(stores: DocumentStores) -> None:
    first = stores.snapshots.save(snapshot("g1", 0, READINGS))
    other = snapshot("g1", 0, {"p9": (1, 1, False)})
    assert stores.snapshots.save(other) == first
    assert stores.snapshots.get("g1", ts(0)) == first


def _break_header_writes(stores: DocumentStores, monkeypatch: pytest.MonkeyPatch) -> None:
    """Make the next snapshot save die after its lines and before its header."""

    def die(*args: object, **kwargs: object) -> None:
        raise RuntimeError("process died")

    if isinstance(stores, MongoStores):
        monkeypatch.setattr(stores.snapshots._headers, "insert_many", die)
    else:
        import models.documents.sqlite_snapshots as mod

        monkeypatch.setattr(mod, "_INSERT_HEADER", "INSERT INTO no_such_table VALUES (?)")


def test_snapshot_save_survives_a_crash(
    stores: DocumentStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    committed = stores.snapshots.save(snapshot("g1", 1, {"p1": (4, 0, False)}))
    crashed = snapshot("g1", 0, {**READINGS, "p0": (5, 5, False)})
    with monkeypatch.context() as patch:
        _break_header_writes(stores, patch)
        with pytest.raises(Exception):  # noqa: B017 - the engine's own failure
            stores.snapshots.save(crashed)
    assert stores.snapshots.get("g1", ts(0)) is None
    listed = ([{k: v for k, v in committed.items() if k != "lines"}], 1)
    assert stores.snapshots.list_totals("g1", ts(0), ts(9), 0, 10) == listed
    rows, count, totals = stores.snapshots.netto("g1", ts(0), ts(9), 0, 10)
    assert ([(r["prosumer_id"], r["timeframes"]) for r in rows], count) == ([("p1", 1)], 1)
    assert totals["timeframes"] == 1
    snap = snapshot("g1", 0, READINGS)
    stores.snapshots.save(snap)
    got = stores.snapshots.get("g1", ts(0))
    assert [x["prosumer_id"] for x in got["lines"]] == ["p1", "p2", "p3"]  # type: ignore[index]
    assert content_hash(got) == snap["content_hash"]  # type: ignore[arg-type]
    assert stores.snapshots.netto("g1", ts(0), ts(9), 0, 10)[1] == 3


def test_list_totals_range_order_and_pages(stores: DocumentStores) -> None:
    for slot in (3, 0, 2, 1, 4):
        stores.snapshots.save(snapshot("g1", slot, {"a": (slot, 1, False)}))
    stores.snapshots.save(snapshot("g2", 1, {"a": (1, 1, False)}))
    docs, total = stores.snapshots.list_totals("g1", ts(1), ts(4), 0, 10)
    assert total == 3
    assert [d["start"] for d in docs] == [ts(1), ts(2), ts(3)]
    assert all("lines" not in d for d in docs)
    expected = {k: v for k, v in snapshot("g1", 2, {"a": (2, 1, False)}).items() if k != "lines"}
    assert docs[1] == expected
    page, total = stores.snapshots.list_totals("g1", ts(0), ts(9), 1, 2)
    assert ([d["start"] for d in page], total) == ([ts(1), ts(2)], 5)


def _netto_fixture(stores: DocumentStores) -> list[dict]:
    """Save four g1 snapshots and one g2 snapshot; return the g1 ones."""
    snaps = [
        snapshot("g1", 0, {"b": (10, 3, False), "a": (0, 4, False)}),
        snapshot("g1", 1, {"a": (BIG, 0, False), "c": (0, 9, True)}),
        snapshot("g1", 2, {"b": (1, 1, True), "c": (7, 0, False), "a": (2, 2, False)}),
        snapshot("g1", 5, {"a": (100, 0, False)}),
    ]
    for snap in [*snaps, snapshot("g2", 1, {"a": (999, 0, False)})]:
        stores.snapshots.save(snap)
    return snaps[:3]


def test_netto_sums_per_prosumer_and_grid(stores: DocumentStores) -> None:
    snaps = _netto_fixture(stores)
    rows, count, totals = stores.snapshots.netto("g1", ts(0), ts(3), 0, 10)
    assert count == 3
    assert rows == [
        {
            "prosumer_id": "a",
            "produced_wh": BIG + 2,
            "consumed_wh": 6,
            "net_wh": BIG - 4,
            "timeframes": 3,
            "missing": 0,
        },
        {
            "prosumer_id": "b",
            "produced_wh": 11,
            "consumed_wh": 4,
            "net_wh": 7,
            "timeframes": 2,
            "missing": 1,
        },
        {
            "prosumer_id": "c",
            "produced_wh": 7,
            "consumed_wh": 9,
            "net_wh": -2,
            "timeframes": 2,
            "missing": 1,
        },
    ]
    fields = (
        "production_wh",
        "consumption_wh",
        "net_wh",
        "surplus_wh",
        "deficit_wh",
        "export_wh",
        "import_wh",
    )
    expected = {f: sum(s["totals"][f] for s in snaps) for f in fields}
    assert totals == {**expected, "timeframes": 3}
    assert all(type(v) is int for row in rows for k, v in row.items() if k != "prosumer_id")
    assert all(type(v) is int for v in totals.values())


def test_netto_pages_and_empty_ranges(stores: DocumentStores) -> None:
    _netto_fixture(stores)
    rows, count, _ = stores.snapshots.netto("g1", ts(0), ts(9), 1, 1)
    assert ([r["prosumer_id"] for r in rows], count) == (["b"], 3)
    rows, count, totals = stores.snapshots.netto("g1", ts(3), ts(5), 0, 10)
    assert (rows, count) == ([], 0)
    assert set(totals.values()) == {0} and len(totals) == 8


# --- TransactionStore -------------------------------------------------------------------------

PARTIES = ["grid", "plant", "p1", "p2", "p3"]


def _trades(stores: DocumentStores) -> list[dict]:
    """Save three timeframes of g1 trades (one in another grid); return the g1 ones."""
    out = []
    for slot in range(3):
        batch = random_trades("g1", slot, 40, PARTIES, seed=slot)
        stores.transactions.save_timeframe("g1", ts(slot), batch)
        out += batch
    stores.transactions.save_timeframe("g2", ts(1), random_trades("g2", 1, 5, PARTIES, 9))
    return out


def test_save_timeframe_round_trip_and_idempotence(stores: DocumentStores) -> None:
    trades = random_trades("g1", 0, 30, PARTIES, seed=1)
    stores.transactions.save_timeframe("g1", ts(0), list(reversed(trades)))
    assert stores.transactions.timeframe("g1", ts(0)) == trades
    stores.transactions.save_timeframe("g1", ts(0), trades)
    assert stores.transactions.timeframe("g1", ts(0)) == trades
    assert stores.transactions.list("g1", ts(0), ts(1), None, None, 0, 0)[1] == 30
    assert stores.transactions.timeframe("g1", ts(1)) == []


def test_trades_in_the_clearings_shape_round_trip_exactly(stores: DocumentStores) -> None:
    """Trades as the clearing writes them (SQLite keeps them as columns, no JSON), and the
    same with a field more or a number where text was (SQLite keeps those as JSON)."""
    from decimal import Decimal

    from models.domain.trades import Trade, trade_doc

    made = [
        trade_doc("g1", ts(0), "EUR", Trade(n, "p1", "grid", 10 + n, Decimal("0.25"), n, "local"))
        for n in range(3)
    ]
    made[1]["order_id"] = "o-1"
    odd = [dict(made[0], _id="g1:x:0", line=7, note={"n": 1}), dict(made[0], _id="g1:x:1", line=8)]
    odd[1]["seller"] = 12345
    stores.transactions.save_timeframe("g1", ts(0), [*made, *odd])
    got = stores.transactions.timeframe("g1", ts(0))
    assert got == [*made, *odd]
    assert [list(doc) for doc in got[:3]] == [list(doc) for doc in made]  # the key order too
    assert stores.transactions.page("g1", ts(0), ts(1), "p1", None, 0, 10) == [*made, odd[0]]
    changed = [dict(made[0], amount_minor=99), made[1], made[2], *odd]
    stores.transactions.save_timeframe("g1", ts(0), changed)
    assert stores.transactions.timeframe("g1", ts(0)) == changed
    assert stores.transactions.party_sums("g1", ts(0), ts(1), "p1")["received_minor"] == 99 + 1 + 2


def test_save_timeframe_rejects_foreign_or_duplicate_trades(stores: DocumentStores) -> None:
    good = trade("g1", 0, 0, "p1", "grid", 5, 1)
    with pytest.raises(ValueError):
        stores.transactions.save_timeframe("g1", ts(1), [good])
    with pytest.raises(ValueError):
        stores.transactions.save_timeframe("g2", ts(0), [good])
    with pytest.raises(ValueError):
        stores.transactions.save_timeframe("g1", ts(0), [good, dict(good)])
    assert stores.transactions.timeframe("g1", ts(0)) == []


def test_save_timeframe_handles_twelve_thousand_trades(stores: DocumentStores) -> None:
    trades = random_trades("g1", 7, 12_000, PARTIES, seed=7)
    stores.transactions.save_timeframe("g1", ts(7), trades)
    stores.transactions.save_timeframe("g1", ts(7), trades)
    assert stores.transactions.list("g1", ts(7), ts(8), None, None, 0, 1)[1] == 12_000
    assert stores.transactions.timeframe("g1", ts(7))[-1] == trades[-1]


def test_list_orders_filters_and_pages(stores: DocumentStores) -> None:
    trades = _trades(stores)
    page, total = stores.transactions.list("g1", ts(0), ts(9), None, None, 0, 0)
    newest_first = sorted(
        trades,
        key=lambda t: (
            -int(t["timeframe_start"][11:13]) * 60 - int(t["timeframe_start"][14:16]),
            t["line"],
        ),
    )
    assert (page, total) == (newest_first, 120)
    page, total = stores.transactions.list("g1", ts(1), ts(2), None, None, 5, 10)
    assert (page, total) == ([t for t in trades if t["timeframe_start"] == ts(1)][5:15], 40)
    mine = [t for t in newest_first if "p1" in (t["seller"], t["buyer"])]
    assert stores.transactions.list("g1", ts(0), ts(9), "p1", None, 0, 0) == (mine, len(mine))
    assert stores.transactions.list("g1", ts(0), ts(9), None, "p1", 0, 0) == (mine, len(mine))
    pair = [t for t in mine if {t["seller"], t["buyer"]} == {"p1", "grid"}]
    assert stores.transactions.list("g1", ts(0), ts(9), "p1", "grid", 0, 0) == (pair, len(pair))
    assert stores.transactions.list("g1", ts(0), ts(9), "p1", "p1", 0, 0) == ([], 0)
    for where in (("g1", ts(1), ts(2), None, None), ("g1", ts(0), ts(9), "p1", "grid")):
        page, total = stores.transactions.list(*where, 5, 10)
        assert stores.transactions.page(*where, 5, 10) == page
        assert stores.transactions.count(*where) == total


def _reference_sums(trades: list[dict], party: str) -> dict:
    """Party sums computed directly from the trade list."""
    sold = [t for t in trades if t["seller"] == party]
    bought = [t for t in trades if t["buyer"] == party]
    return {
        "sold_wh": sum(t["energy_wh"] for t in sold),
        "bought_wh": sum(t["energy_wh"] for t in bought),
        "received_minor": sum(t["amount_minor"] for t in sold),
        "paid_minor": sum(t["amount_minor"] for t in bought),
        "trades": len({t["_id"] for t in sold + bought}),
    }


def test_party_sums_match_the_trades(stores: DocumentStores) -> None:
    trades = _trades(stores)
    in_range = [t for t in trades if t["timeframe_start"] < ts(2)]
    for party in PARTIES:
        got = stores.transactions.party_sums("g1", ts(0), ts(2), party)
        assert got == _reference_sums(in_range, party)
        assert all(type(v) is int for v in got.values())
    zero = dict.fromkeys(("sold_wh", "bought_wh", "received_minor", "paid_minor", "trades"), 0)
    assert stores.transactions.party_sums("g1", ts(0), ts(2), "nobody") == zero
    everyone = stores.transactions.all_party_sums("g1", ts(0), ts(2))
    assert everyone == {p: _reference_sums(in_range, p) for p in sorted(PARTIES)}
    assert stores.transactions.all_party_sums("g1", ts(5), ts(6)) == {}


def test_self_trade_counts_once(stores: DocumentStores) -> None:
    stores.transactions.save_timeframe("g1", ts(0), [trade("g1", 0, 0, "p1", "p1", 5, 3)])
    expected = {"sold_wh": 5, "bought_wh": 5, "received_minor": 3, "paid_minor": 3, "trades": 1}
    assert stores.transactions.party_sums("g1", ts(0), ts(1), "p1") == expected
    assert stores.transactions.all_party_sums("g1", ts(0), ts(1)) == {"p1": expected}


def test_per_timeframe_oldest_first(stores: DocumentStores) -> None:
    trades = _trades(stores)
    got = stores.transactions.per_timeframe("g1", ts(0), ts(9), "p2")
    expected = []
    for slot in range(3):
        sums = _reference_sums([t for t in trades if t["timeframe_start"] == ts(slot)], "p2")
        keys = ("received_minor", "paid_minor", "sold_wh", "bought_wh")
        expected.append({"start": ts(slot), **{k: sums[k] for k in keys}})
    assert got == expected
    assert stores.transactions.per_timeframe("g1", ts(0), ts(9), "nobody") == []


# --- DocumentStores ---------------------------------------------------------------------------


def test_ping_and_reopen_after_close(stores: DocumentStores) -> None:
    stores.ping(1.0)
    stores.collection("items").put("a", {"v": 1})
    if not isinstance(stores, MongoStores):
        stores.close()
        assert stores.collection("items").get("a") == {"_id": "a", "v": 1}


# --- batched writes and grid removal (the demo grid's build and `flask demo --reset`) ---------


def test_save_many_stores_each_once_and_returns_the_stored(stores: DocumentStores) -> None:
    first = stores.snapshots.save(snapshot("g1", 0, READINGS))
    batch = [snapshot("g1", 0, {"p9": (1, 1, False)}), snapshot("g1", 1, READINGS)]
    stored = stores.snapshots.save_many(batch)
    assert stored[0] == first  # an existing snapshot wins, as with save
    assert stored[1] == stores.snapshots.get("g1", ts(1)) == stores.snapshots.save(batch[1])
    assert stores.snapshots.save_many([]) == []


def test_save_many_after_a_crash_rewrites_the_lines_in_few_round_trips(
    stores: DocumentStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    kept = stores.snapshots.save(snapshot("g2", 0, READINGS))
    batch = [snapshot("g1", s, {**READINGS, "p0": (s, 1, False)}) for s in range(3)]
    with monkeypatch.context() as patch:
        _break_header_writes(stores, patch)
        with pytest.raises(Exception):  # noqa: B017 - the engine's own failure
            stores.snapshots.save_many(batch)
    assert [stores.snapshots.get("g1", ts(s)) for s in range(3)] == [None] * 3
    small = {"p3": (500, 200, False), "p1": (0, 700, False), "p2": (9, 1, True)}
    retry = [snapshot("g1", s, small) for s in range(3)] + [snapshot("g2", 0, {})]
    calls = _count_writes(stores, monkeypatch)
    stored = stores.snapshots.save_many(retry)
    assert stored[3] == kept  # an existing one wins, whatever the batch says
    for slot, doc in enumerate(stored[:3]):
        assert [x["prosumer_id"] for x in doc["lines"]] == ["p1", "p2", "p3"]  # p0 went
        assert content_hash(doc) == retry[slot]["content_hash"]
        assert stores.snapshots.get("g1", ts(slot)) == doc
    assert stores.snapshots.netto("g1", ts(0), ts(9), 0, 10)[1] == 3
    assert calls == {"writes": 2 if isinstance(stores, MongoStores) else 1}


def test_save_many_on_mongodb_keeps_a_header_stored_meanwhile(
    stores: DocumentStores, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another close of the same frozen timeframe (the same lines) stores its header between
    the existence query and the insert: that header wins, the lines are the same."""
    if not isinstance(stores, MongoStores):
        pytest.skip("SQLite checks and inserts in one write transaction")
    first = stores.snapshots.save(snapshot("g1", 0, READINGS))
    snaps: Any = stores.snapshots
    monkeypatch.setattr(snaps, "_stored_keys", lambda keys: set())  # the query ran before it
    late = {**snapshot("g1", 0, READINGS), "closed_at": ts(7)}
    stored = stores.snapshots.save_many([late, snapshot("g1", 1, READINGS)])
    assert stored[0] == first == stores.snapshots.get("g1", ts(0))
    assert stored[1] == stores.snapshots.get("g1", ts(1))


def _count_writes(stores: DocumentStores, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Count the store writes of what follows: Mongo bulk writes and inserts, SQLite
    transactions."""
    calls = {"writes": 0}

    def counted(owner: object, name: str) -> None:
        original = getattr(owner, name)

        def wrapper(*args: object, **kwargs: object) -> object:
            calls["writes"] += 1
            return original(*args, **kwargs)

        monkeypatch.setattr(owner, name, wrapper)

    if isinstance(stores, MongoStores):
        snaps = stores.snapshots
        counted(snaps._lines, "bulk_write")  # type: ignore[attr-defined]
        counted(snaps._headers, "insert_many")  # type: ignore[attr-defined]
        for owner in (snaps._lines, snaps._headers):  # type: ignore[attr-defined]
            for name in ("insert_one", "replace_one", "update_one"):
                counted(owner, name)
    else:
        counted(stores.snapshots._db, "write")  # type: ignore[attr-defined]
    return calls


def test_save_timeframes_writes_several_timeframes_idempotently(stores: DocumentStores) -> None:
    trades = {ts(s): random_trades("g1", s, 20, PARTIES, seed=s) for s in range(3)}
    stores.transactions.save_timeframes("g1", trades)
    stores.transactions.save_timeframes("g1", trades)
    for start, docs in trades.items():
        assert stores.transactions.timeframe("g1", start) == docs
    assert stores.transactions.count("g1", ts(0), ts(3), None, None) == 60
    with pytest.raises(ValueError):
        stores.transactions.save_timeframes("g1", {ts(4): trades[ts(0)]})


def test_delete_grid_and_delete_many_remove_one_grid_only(stores: DocumentStores) -> None:
    for grid in ("g1", "g2"):
        stores.snapshots.save(snapshot(grid, 0, READINGS))
        stores.transactions.save_timeframe(grid, ts(0), random_trades(grid, 0, 5, PARTIES, 1))
        stores.collection("runs").put(f"{grid}:x", {"grid_id": grid})
    stores.snapshots.delete_grid("g1")
    stores.transactions.delete_grid("g1")
    assert stores.collection("runs").delete_many({"grid_id": "g1"}) == 1
    assert stores.snapshots.get("g1", ts(0)) is None
    assert stores.snapshots.netto("g1", ts(0), ts(1), 0, 0)[1] == 0
    assert stores.transactions.timeframe("g1", ts(0)) == []
    assert stores.snapshots.get("g2", ts(0)) is not None
    assert len(stores.transactions.timeframe("g2", ts(0))) == 5
    assert [d["_id"] for d in stores.collection("runs").find()] == ["g2:x"]
    with pytest.raises(ValueError):
        stores.collection("runs").delete_many({})


def test_netto_of_a_community_sums_its_members_lines(stores: DocumentStores) -> None:
    """Lines name the community their prosumer was in at the close: membership may change."""
    first = snapshot("g1", 0, {"a": (5, 1, False), "b": (0, 3, False), "c": (2, 2, False)})
    second = snapshot("g1", 1, {"a": (1, 1, False), "b": (0, 4, True), "c": (9, 0, False)})
    for doc, members in ((first, {"a", "b"}), (second, {"b", "c"})):
        for line in doc["lines"]:
            if line["prosumer_id"] in members:
                line["community_id"] = "k"
        stores.snapshots.save(doc)
    got = stores.snapshots.get("g1", ts(0))
    assert got is not None
    assert {x["prosumer_id"]: x.get("community_id") for x in got["lines"]} == {
        "a": "k",
        "b": "k",
        "c": None,
    }
    rows, count, totals = stores.snapshots.netto("g1", ts(0), ts(2), 0, 10, community_id="k")
    assert count == 3
    assert [(r["prosumer_id"], r["consumed_wh"], r["timeframes"]) for r in rows] == [
        ("a", 1, 1),
        ("b", 7, 2),
        ("c", 0, 1),
    ]
    assert totals == {"produced_wh": 14, "consumed_wh": 8, "net_wh": 6, "timeframes": 2}
    assert stores.snapshots.netto("g1", ts(0), ts(2), 0, 10, community_id="z")[1] == 0
