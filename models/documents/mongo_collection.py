"""A generic keyed Collection on a pymongo collection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pymongo import ReplaceOne
from pymongo.collection import Collection as PyCollection
from pymongo.errors import DuplicateKeyError

from models.documents.mongo_outbox import HIDDEN, MongoOutbox, with_events
from models.documents.shapes import batched, check_field, check_where, keyed_doc
from models.ports import Doc

BATCH = 1000


def replace_many(coll: PyCollection[Doc], docs: Iterable[Doc]) -> None:
    """Upsert documents by `_id` with unordered bulk writes of BATCH replacements."""
    for batch in batched(docs, BATCH):
        coll.bulk_write(
            [ReplaceOne({"_id": d["_id"]}, d, upsert=True) for d in batch], ordered=False
        )


def mongo_sort(sort: list[tuple[str, int]] | None) -> list[tuple[str, int]]:
    """Validated sort pairs with `_id` as the final tie-break."""
    pairs = [(check_field(f), 1 if d >= 0 else -1) for f, d in (sort or [])]
    if all(f != "_id" for f, _ in pairs):
        pairs.append(("_id", 1))
    return pairs


class MongoCollection:
    """Collection port over one pymongo collection."""

    def __init__(self, coll: PyCollection[Doc], outbox: MongoOutbox) -> None:
        self._coll = coll
        self._outbox = outbox

    def get(self, key: str) -> Doc | None:
        """The document stored under `key`, or None."""
        return self._coll.find_one({"_id": key}, HIDDEN)

    def put(self, key: str, doc: Doc, events: Sequence[Doc] = ()) -> None:
        """Insert or replace the document stored under `key` (its events inside it)."""
        self.put_many({key: doc}, {key: events})

    def put_many(self, docs: Mapping[str, Doc], events: Mapping[str, Sequence[Doc]] = {}) -> None:  # noqa: B006
        """Insert or replace many documents with batched bulk writes; each document carries its
        own events (one atomic write each), then they move to the outbox."""
        carried = {k: list(events.get(k, ())) for k in docs if events.get(k)}
        if carried:
            self._outbox.track(self._coll.name)
        self._outbox.rescue(self._coll.name, list(docs))
        stored = (with_events(keyed_doc(k, d), carried.get(k, ())) for k, d in docs.items())
        replace_many(self._coll, stored)
        self._outbox.move(self._coll.name, carried)

    def insert_if_absent(self, key: str, doc: Doc) -> Doc:
        """Store `doc` unless `key` exists; return what is stored afterwards."""
        stored = keyed_doc(key, doc)
        try:
            self._coll.insert_one(dict(stored))
        except DuplicateKeyError:
            found = self._coll.find_one({"_id": key})
            if found is not None:
                return found
            raise
        return stored

    def update(
        self, key: str, changes: Doc, expect: Doc | None = None, events: Sequence[Doc] = ()
    ) -> bool:
        """Set top-level fields when every `expect` field equals, pushing `events` into the
        document in the same operation; True if applied."""
        where = {**check_where(expect), "_id": key}
        sets = {check_field(k): v for k, v in changes.items() if k != "_id"}
        if "_id" in changes and changes["_id"] != key:
            raise ValueError("update cannot change a document's _id.")
        if not sets and not events:
            return self._coll.count_documents(where, limit=1) == 1
        operation: Doc = {"$set": sets} if sets else {}
        if events:
            self._outbox.track(self._coll.name)
            operation["$push"] = {"_outbox": {"$each": list(events)}}
        applied = self._coll.update_one(where, operation).matched_count == 1
        if applied and events:
            self._outbox.move(self._coll.name, {key: events})
        return applied

    def find(
        self,
        where: Mapping[str, Any] | None = None,
        sort: list[tuple[str, int]] | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[Doc]:
        """Documents whose top-level fields equal `where`, in `sort` order then by _id."""
        cursor = self._coll.find(check_where(where), HIDDEN).sort(mongo_sort(sort))
        return list(cursor.skip(max(skip, 0)).limit(max(limit, 0)))

    def count(self, where: Mapping[str, Any] | None = None) -> int:
        """How many documents match `where`."""
        return self._coll.count_documents(check_where(where))

    def delete_many(self, where: Mapping[str, Any]) -> int:
        """Remove the documents matching `where` (never all: `where` must name a field)."""
        checked = check_where(where)
        if not checked:
            raise ValueError("delete_many needs a condition")
        return int(self._coll.delete_many(checked).deleted_count)
