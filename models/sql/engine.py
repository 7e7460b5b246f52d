"""Engines from URLs: SQLite (WAL, foreign keys) or PostgreSQL through psycopg 3."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool


def normalize_url(url: str) -> str:
    """Pick the psycopg 3 driver for bare postgresql:// URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def make_engine(url: str, timeout_s: float = 2.0, *, writer: bool | None = True) -> Engine:
    """An engine whose connects and statements are bounded by `timeout_s`.

    On SQLite a writer engine opens `BEGIN IMMEDIATE` transactions, so concurrent workers queue
    on the write lock instead of failing to upgrade a read snapshot; readers stay deferred.
    `writer=None` opens no transaction at all: each statement reads its own snapshot (one-query
    reads, where a `BEGIN` would only add two round trips).
    """
    url = normalize_url(url)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database, timeout_s, writer)
    connect_args: dict[str, Any] = {
        "connect_timeout": max(1, int(timeout_s)),
        "options": f"-c statement_timeout={int(timeout_s * 1000) * 15}",
    }
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, pool_timeout=timeout_s)


CACHE_KIB = 65_536  # each connection's page cache (SQLite's default: 2 MiB)
MMAP_BYTES = 256 << 20  # pages read from the file's mapping, not one pread system call each


def _sqlite_engine(url: str, database: str | None, timeout_s: float, writer: bool | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    # without transactions, connections are held one per thread (see Container.reading): no pool
    pool = {"poolclass": NullPool} if writer is None else {}
    engine = create_engine(url, connect_args={"timeout": max(timeout_s, 5.0)}, **pool)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # let SQLAlchemy emit BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        cursor.close()

    if writer is None:
        return engine

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")

    return engine
