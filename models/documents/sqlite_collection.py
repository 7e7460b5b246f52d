"""A generic keyed Collection in one SQLite table `doc_<name>` (id, JSON body)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from typing import Any

from models.documents.shapes import check_field, check_where, keyed_doc, same_value
from models.documents.sqlite_db import SqliteDb, dumps
from models.ports import Doc

OUTBOX_INSERT = "INSERT INTO outbox (id, body) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"


def write_events(conn: sqlite3.Connection, events: Sequence[Doc]) -> None:
    """Put events in the outbox inside the caller's write transaction (same store step)."""
    if events:
        conn.executemany(OUTBOX_INSERT, [(e["id"], dumps(e)) for e in events])


def _column(field: str) -> str:
    """SQL expression for a top-level field (the id column for `_id`)."""
    return "id" if field == "_id" else f"json_extract(body, '$.{check_field(field)}')"


def _where_sql(where: Mapping[str, Any] | None) -> tuple[str, list[Any]]:
    """WHERE clause and parameters for top-level equality (None matches missing)."""
    checked = check_where(where)
    if not checked:
        return "", []
    clause = " AND ".join(f"{_column(f)} IS ?" for f in checked)
    return f" WHERE {clause}", list(checked.values())


def _order_sql(sort: list[tuple[str, int]] | None) -> str:
    """ORDER BY clause for (field, 1|-1) pairs with `id` as the final tie-break."""
    parts = [f"{_column(f)} {'ASC' if d >= 0 else 'DESC'}" for f, d in (sort or [])]
    if all(f != "_id" for f, _ in (sort or [])):
        parts.append("id ASC")
    return " ORDER BY " + ", ".join(parts)


class SqliteCollection:
    """Collection port over one `doc_<name>` table."""

    def __init__(self, db: SqliteDb, table: str) -> None:
        self._db = db
        self._table = table

    def get(self, key: str) -> Doc | None:
        """The document stored under `key`, or None."""
        row = self._db.conn.execute(f"SELECT body FROM {self._table} WHERE id = ?", (key,))
        found = row.fetchone()
        return None if found is None else json.loads(found[0])

    def put(self, key: str, doc: Doc, events: Sequence[Doc] = ()) -> None:
        """Insert or replace the document stored under `key` (with its outbox `events`)."""
        self.put_many({key: doc}, {key: events})

    def put_many(self, docs: Mapping[str, Doc], events: Mapping[str, Sequence[Doc]] = {}) -> None:  # noqa: B006
        """Insert or replace many documents and their outbox events in one transaction."""
        rows = [(k, dumps(keyed_doc(k, d))) for k, d in docs.items()]
        sql = (
            f"INSERT INTO {self._table} (id, body) VALUES (?, ?) "
            "ON CONFLICT (id) DO UPDATE SET body = excluded.body"
        )
        with self._db.write() as conn:
            conn.executemany(sql, rows)
            write_events(conn, [e for k in docs for e in events.get(k, ())])

    def insert_if_absent(self, key: str, doc: Doc) -> Doc:
        """Store `doc` unless `key` exists; return what is stored afterwards."""
        body = dumps(keyed_doc(key, doc))
        with self._db.write() as conn:
            conn.execute(
                f"INSERT INTO {self._table} (id, body) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
                (key, body),
            )
            stored = conn.execute(f"SELECT body FROM {self._table} WHERE id = ?", (key,))
            found: Doc = json.loads(stored.fetchone()[0])
            return found

    def update(
        self, key: str, changes: Doc, expect: Doc | None = None, events: Sequence[Doc] = ()
    ) -> bool:
        """Set top-level fields when every `expect` field equals (then write `events` to the
        outbox in the same transaction); True if applied."""
        checked = check_where(expect)
        if "_id" in changes and changes["_id"] != key:
            raise ValueError("update cannot change a document's _id.")
        sets = {check_field(k): v for k, v in changes.items() if k != "_id"}
        with self._db.write() as conn:
            row = conn.execute(f"SELECT body FROM {self._table} WHERE id = ?", (key,)).fetchone()
            if row is None:
                return False
            doc = json.loads(row[0])
            if not all(same_value(doc.get(f), v) for f, v in checked.items()):
                return False
            doc.update(sets)
            conn.execute(f"UPDATE {self._table} SET body = ? WHERE id = ?", (dumps(doc), key))
            write_events(conn, events)
            return True

    def find(
        self,
        where: Mapping[str, Any] | None = None,
        sort: list[tuple[str, int]] | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[Doc]:
        """Documents whose top-level fields equal `where`, in `sort` order then by id."""
        clause, params = _where_sql(where)
        sql = f"SELECT body FROM {self._table}{clause}{_order_sql(sort)} LIMIT ? OFFSET ?"
        params += [limit if limit > 0 else -1, max(skip, 0)]
        return [json.loads(body) for (body,) in self._db.conn.execute(sql, params)]

    def count(self, where: Mapping[str, Any] | None = None) -> int:
        """How many documents match `where`."""
        clause, params = _where_sql(where)
        row = self._db.conn.execute(f"SELECT COUNT(*) FROM {self._table}{clause}", params)
        return int(row.fetchone()[0])

    def delete_many(self, where: Mapping[str, Any]) -> int:
        """Remove the documents matching `where` (never all: `where` must name a field)."""
        clause, params = _where_sql(where)
        if not clause:
            raise ValueError("delete_many needs a condition")
        with self._db.write() as conn:
            return conn.execute(f"DELETE FROM {self._table}{clause}", params).rowcount
