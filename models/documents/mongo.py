"""The document stores on plain pymongo (MongoDB replica set, sharded cluster or mongomock)."""

from __future__ import annotations

from typing import Any

import pymongo

from models.documents.mongo_collection import MongoCollection
from models.documents.mongo_outbox import MongoOutbox
from models.documents.mongo_plant import MongoPlantImportStore
from models.documents.mongo_sim import MongoFlowStore, MongoWeatherStore
from models.documents.mongo_snapshots import MongoSnapshotStore
from models.documents.mongo_trades import MongoTransactionStore
from models.documents.shapes import check_collection_name
from models.ports import (
    FlowStore,
    Outbox,
    PlantImportStore,
    SnapshotStore,
    TransactionStore,
    WeatherStore,
)


class MongoStores:
    """Snapshots in one database; trades and generic collections in another."""

    def __init__(self, client: Any, snapshots_db: str, transactions_db: str) -> None:
        self._client = client
        self._tx_db = client[transactions_db]
        self.snapshots: SnapshotStore = MongoSnapshotStore(client[snapshots_db])
        self.transactions: TransactionStore = MongoTransactionStore(self._tx_db)
        self.flows: FlowStore = MongoFlowStore(self._tx_db)
        self.weather: WeatherStore = MongoWeatherStore(self._tx_db)
        self._outbox = MongoOutbox(self._tx_db)
        self.outbox: Outbox = self._outbox
        self.plant_imports: PlantImportStore = MongoPlantImportStore(self._tx_db)

    def collection(self, name: str) -> MongoCollection:
        """A generic collection in the transactions database."""
        return MongoCollection(self._tx_db[check_collection_name(name)], self._outbox)

    def ping(self, timeout_s: float) -> None:
        """Raise if the server does not answer a ping within `timeout_s`."""
        with pymongo.timeout(timeout_s):
            self._client.admin.command("ping")

    def close(self) -> None:
        """Close the client and its connection pool."""
        self._client.close()


def mongo_client(url: str, timeout_s: float) -> pymongo.MongoClient[Any]:
    """A MongoClient whose server selection, connect and socket waits are bounded."""
    ms = max(int(timeout_s * 1000), 1)
    bounds: dict[str, Any] = {
        "serverSelectionTimeoutMS": ms,
        "connectTimeoutMS": ms,
        "socketTimeoutMS": max(ms * 15, 30_000),
    }
    query = url.partition("?")[2].lower()
    options = {k: v for k, v in bounds.items() if f"{k.lower()}=" not in query}
    return pymongo.MongoClient(url, **options)
