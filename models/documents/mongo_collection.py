"""A generic keyed Collection on a pymongo collection."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ReplaceOne
from pymongo.collection import Collection as PyCollection
from pymongo.errors import DuplicateKeyError

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

    def __init__(self, coll: PyCollection[Doc]) -> None:
        self._coll = coll

    def get(self, key: str) -> Doc | None:
        """The document stored under `key`, or None."""
        return self._coll.find_one({"_id": key})

    def put(self, key: str, doc: Doc) -> None:
        """Insert or replace the document stored under `key`."""
        self._coll.replace_one({"_id": key}, keyed_doc(key, doc), upsert=True)

    def put_many(self, docs: Mapping[str, Doc]) -> None:
        """Insert or replace many documents with batched bulk writes."""
        replace_many(self._coll, (keyed_doc(k, d) for k, d in docs.items()))

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

    def update(self, key: str, changes: Doc, expect: Doc | None = None) -> bool:
        """Set top-level fields when every `expect` field equals; True if applied."""
        where = {**check_where(expect), "_id": key}
        sets = {check_field(k): v for k, v in changes.items() if k != "_id"}
        if "_id" in changes and changes["_id"] != key:
            raise ValueError("update cannot change a document's _id.")
        if not sets:
            return self._coll.count_documents(where, limit=1) == 1
        return self._coll.update_one(where, {"$set": sets}).matched_count == 1

    def find(
        self,
        where: Mapping[str, Any] | None = None,
        sort: list[tuple[str, int]] | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[Doc]:
        """Documents whose top-level fields equal `where`, in `sort` order then by _id."""
        cursor = self._coll.find(check_where(where)).sort(mongo_sort(sort))
        return list(cursor.skip(max(skip, 0)).limit(max(limit, 0)))

    def count(self, where: Mapping[str, Any] | None = None) -> int:
        """How many documents match `where`."""
        return self._coll.count_documents(check_where(where))
