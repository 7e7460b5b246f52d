"""The document stores on one SQLite file (the embedded default), via the stdlib sqlite3."""

from __future__ import annotations

from models.documents.shapes import check_collection_name
from models.documents.sqlite_collection import SqliteCollection
from models.documents.sqlite_db import SqliteDb
from models.documents.sqlite_outbox import SqliteOutbox
from models.documents.sqlite_plant import SqlitePlantImportStore
from models.documents.sqlite_schema import collection_ddl
from models.documents.sqlite_sim import SqliteFlowStore, SqliteWeatherStore
from models.documents.sqlite_snapshots import SqliteSnapshotStore
from models.documents.sqlite_trades import SqliteTransactionStore
from models.ports import (
    FlowStore,
    Outbox,
    PlantImportStore,
    SnapshotStore,
    TransactionStore,
    WeatherStore,
)


class SqliteStores:
    """Snapshots (snap_*), trades (tx_*), flows and weather (sim_*), collections (doc_<name>)."""

    def __init__(self, path: str, busy_timeout_ms: int = 10_000) -> None:
        self._db = SqliteDb(path, busy_timeout_ms)
        self.snapshots: SnapshotStore = SqliteSnapshotStore(self._db)
        self.transactions: TransactionStore = SqliteTransactionStore(self._db)
        self.flows: FlowStore = SqliteFlowStore(self._db)
        self.weather: WeatherStore = SqliteWeatherStore(self._db)
        self.outbox: Outbox = SqliteOutbox(self._db)
        self.plant_imports: PlantImportStore = SqlitePlantImportStore(self._db)
        self._tables: set[str] = set()

    @property
    def path(self) -> str:
        """The database file."""
        return self._db.path

    def collection(self, name: str) -> SqliteCollection:
        """The generic collection `name`, its table created if missing."""
        table = f"doc_{check_collection_name(name)}"
        if table not in self._tables:
            with self._db.write() as conn:
                conn.execute(collection_ddl(table))
            self._tables.add(table)
        return SqliteCollection(self._db, table)

    def ping(self, timeout_s: float) -> None:
        """Raise if the database file cannot be read."""
        self._db.conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()

    def close(self) -> None:
        """Close this process's connections (they reopen lazily on next use)."""
        self._db.close()
