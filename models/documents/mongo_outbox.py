"""The outbox of the pymongo document store.

MongoDB makes one document's write atomic without a replica set, so an event rides inside the
document whose change it reports (field `_outbox`, hidden from readers): written in the same
operation as the change. Right after, it is copied to the `outbox` collection (idempotent by
event id) and pulled from the document; a crash in between leaves it in the document, where
`pending` finds it (collections that ever carried events are listed in `outbox_sources`).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from pymongo import UpdateOne
from pymongo.database import Database

from models.ports import Doc, Docs

FIELD = "_outbox"
HIDDEN = {FIELD: 0}


class MongoOutbox:
    """Outbox port over the `outbox` collection (and events still inside their documents)."""

    def __init__(self, db: Database[Doc]) -> None:
        self._db = db
        self._sources: set[str] = set()

    def track(self, name: str) -> None:
        """Remember that collection `name` carries events (before its first write with events)."""
        if name not in self._sources:
            self._db["outbox_sources"].update_one({"_id": name}, {"$set": {}}, upsert=True)
            self._sources.add(name)

    def move(self, name: str, events: Mapping[str, Sequence[Doc]]) -> None:
        """Copy documents' events ({doc key: events}) to `outbox`, then pull them from the docs."""
        if not any(events.values()):
            return
        now = time.time_ns()
        ops = [
            UpdateOne(
                {"_id": e["id"]},
                {"$setOnInsert": {"seq": now + n, "event": e}},
                upsert=True,
            )
            for n, e in enumerate(e for evts in events.values() for e in evts)
        ]
        self._db["outbox"].bulk_write(ops, ordered=True)
        for key, evts in events.items():
            if evts:
                ids = [e["id"] for e in evts]
                self._db[name].update_one({"_id": key}, {"$pull": {FIELD: {"id": {"$in": ids}}}})

    def rescue(self, name: str, keys: list[str]) -> None:
        """Move events a crash left in these documents before they are replaced."""
        stuck = self._db[name].find({"_id": {"$in": keys}, f"{FIELD}.0": {"$exists": True}})
        self.move(name, {doc["_id"]: doc[FIELD] for doc in stuck})

    def _sweep(self) -> None:
        """Move events a crash left inside their documents."""
        for source in self._db["outbox_sources"].find({}):
            name = source["_id"]
            stuck = self._db[name].find({f"{FIELD}.0": {"$exists": True}}, {FIELD: 1})
            self.move(name, {doc["_id"]: doc[FIELD] for doc in stuck})

    def pending(self, limit: int) -> Docs:
        """Up to `limit` waiting events, oldest first."""
        self._sweep()
        found = self._db["outbox"].find({}).sort([("seq", 1), ("_id", 1)]).limit(limit)
        return [dict(row["event"]) for row in found]

    def remove(self, ids: Sequence[str]) -> None:
        """Forget events the event log now holds."""
        self._db["outbox"].delete_many({"_id": {"$in": list(ids)}})


def with_events(doc: Doc, events: Sequence[Doc]) -> dict[str, Any]:
    """The stored form of a document that carries outbox events."""
    return {**doc, FIELD: list(events)} if events else doc
