"""The document outbox on every engine: events commit with the document change, or not at all."""

from __future__ import annotations

from typing import Any

import pytest

from models.ports import DocumentStores


def evt(n: int) -> dict[str, Any]:
    return {"id": f"e{n}", "type": "settlement.failed", "grid_id": "g", "data": {"n": n}}


def ids(stores: DocumentStores) -> list[str]:
    return [e["id"] for e in stores.outbox.pending(100)]


def test_writes_carry_their_events_in_order(stores: DocumentStores) -> None:
    items = stores.collection("items")
    items.put("a", {"s": 1}, [evt(1)])
    items.put_many({"b": {"s": 1}, "c": {"s": 1}}, {"b": [evt(2)], "c": [evt(3)]})
    assert items.update("a", {"s": 2}, {"s": 1}, events=[evt(4)])
    assert ids(stores) == ["e1", "e2", "e3", "e4"]
    assert items.get("a") == {"_id": "a", "s": 2}  # readers never see the outbox
    assert items.find({"s": 1}) == [{"_id": "b", "s": 1}, {"_id": "c", "s": 1}]
    stores.outbox.remove(["e1", "e3"])
    assert ids(stores) == ["e2", "e4"]


def test_an_update_that_does_not_apply_writes_no_event(stores: DocumentStores) -> None:
    items = stores.collection("items")
    items.put("a", {"s": 1})
    assert not items.update("a", {"s": 3}, {"s": 2}, events=[evt(1)])
    assert not items.update("missing", {"s": 3}, events=[evt(2)])
    assert ids(stores) == [] and items.get("a") == {"_id": "a", "s": 1}


def test_the_same_event_twice_is_kept_once(stores: DocumentStores) -> None:
    items = stores.collection("items")
    items.put("a", {"s": 1}, [evt(1)])
    items.put("a", {"s": 1}, [evt(1)])
    assert ids(stores) == ["e1"]


def test_sqlite_rolls_the_change_back_when_its_event_cannot_be_written(tmp_path) -> None:
    from models.documents import open_document_stores

    stores = open_document_stores(f"sqlite:///{tmp_path}/d.db")
    items = stores.collection("items")
    items.put("a", {"s": 1})
    bad = {"id": "x", "data": float("nan")}  # not JSON: the outbox insert fails
    with pytest.raises(ValueError):
        items.update("a", {"s": 2}, events=[bad])
    with pytest.raises(ValueError):
        items.put_many({"a": {"s": 3}}, {"a": [bad]})
    assert items.get("a") == {"_id": "a", "s": 1} and stores.outbox.pending(5) == []
    stores.close()


def test_mongo_finds_an_event_a_crash_left_inside_its_document(monkeypatch) -> None:
    from models.documents import open_document_stores
    from models.documents.mongo_outbox import MongoOutbox

    stores = open_document_stores("mongomock://", transactions_db="crash_left")
    items = stores.collection("items")
    monkeypatch.setattr(MongoOutbox, "move", lambda self, name, events: None)  # killed here
    items.put("a", {"s": 1}, [evt(1)])
    items.put_many({"b": {"s": 1}}, {"b": [evt(2)]})
    monkeypatch.undo()
    items.put_many({"b": {"s": 2}})  # a later replace first rescues the stuck event
    assert sorted(ids(stores)) == ["e1", "e2"]
    assert items.get("a") == {"_id": "a", "s": 1} and items.get("b") == {"_id": "b", "s": 2}
    stores.close()
