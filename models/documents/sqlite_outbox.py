"""The outbox of the SQLite document store: events written in the same transaction as the
document changes they report (see `sqlite_collection.write_events`)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from models.documents.sqlite_db import SqliteDb
from models.ports import Docs


class SqliteOutbox:
    """Outbox port over the `outbox` table."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def pending(self, limit: int) -> Docs:
        """Up to `limit` waiting events, oldest first."""
        rows = self._db.conn.execute("SELECT body FROM outbox ORDER BY seq LIMIT ?", (limit,))
        return [json.loads(body) for (body,) in rows]

    def remove(self, ids: Sequence[str]) -> None:
        """Forget events the event log now holds."""
        with self._db.write() as conn:
            conn.executemany("DELETE FROM outbox WHERE id = ?", [(i,) for i in ids])
