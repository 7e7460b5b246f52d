"""One SQLite database file shared by threads and worker processes: a connection per both."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from models.documents.sqlite_schema import ADDED_COLUMNS, SCHEMA

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def dumps(doc: Any) -> str:
    """Compact JSON text of a document (ints stay exact); `json.dumps` with these options
    without building an encoder per call (hundreds of thousands of trades in a demo build)."""
    return _ENCODER.encode(doc)


class SqliteDb:
    """Lazily opens one connection per (process, thread); WAL, busy_timeout, synchronous=NORMAL."""

    def __init__(self, path: str, busy_timeout_ms: int = 10_000) -> None:
        self.path = path
        self.busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[tuple[int, sqlite3.Connection]] = []
        self._inherited: list[sqlite3.Connection] = []

    @property
    def conn(self) -> sqlite3.Connection:
        """This thread's connection in this process, opened on first use."""
        held = getattr(self._local, "held", None)
        if held is not None and held[0] == os.getpid():
            conn: sqlite3.Connection = held[1]
            return conn
        conn = self._connect()
        self._local.held = (os.getpid(), conn)
        return conn

    def _connect(self) -> sqlite3.Connection:
        """Open, configure and (idempotently) create the schema."""
        conn = sqlite3.connect(
            self.path,
            timeout=self.busy_timeout_ms / 1000,
            isolation_level=None,
            check_same_thread=False,
        )
        conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        with self._lock:
            self._forget_inherited()
            self._opened.append((os.getpid(), conn))
        with self.write(conn):
            for statement in SCHEMA:
                conn.execute(statement)
            for table, column, ddl in ADDED_COLUMNS:
                if column not in {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}:
                    conn.execute(ddl)
        return conn

    def _forget_inherited(self) -> None:
        """Keep a forked parent's connections alive but unused: closing them would corrupt locks."""
        pid = os.getpid()
        self._inherited.extend(c for p, c in self._opened if p != pid)
        self._opened = [(p, c) for p, c in self._opened if p == pid]

    @contextmanager
    def write(self, conn: sqlite3.Connection | None = None) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT, ROLLBACK on error)."""
        conn = conn or self.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """One consistent read transaction."""
        conn = self.conn
        conn.execute("BEGIN")
        try:
            yield conn
        finally:
            conn.execute("COMMIT")

    def close(self) -> None:
        """Close every connection this process opened."""
        with self._lock:
            self._forget_inherited()
            opened, self._opened = self._opened, []
        for _, conn in opened:
            conn.close()
        self._local = threading.local()
