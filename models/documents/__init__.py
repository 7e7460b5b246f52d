"""Document stores (snapshots, trades, settlement state) chosen by URL: SQLite or MongoDB."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from models.ports import DocumentStores

__all__ = ["open_document_stores", "sqlite_path"]


def sqlite_path(url: str) -> str:
    """The file of `sqlite:///relative.db` or `sqlite:////abs.db`."""
    path = url[len("sqlite:///") :]
    if not url.startswith("sqlite:///") or not path or path.endswith("/"):
        raise ValueError(f"SQLite URL {url!r} must look like sqlite:///path/to/file.db.")
    return path


def open_document_stores(
    url: str,
    *,
    snapshots_db: str = "minigrid_snapshots",
    transactions_db: str = "minigrid_transactions",
    timeout_s: float = 2.0,
) -> DocumentStores:
    """Open the document stores named by `url` (sqlite:///, mongodb://, mongomock://)."""
    scheme = urlsplit(url).scheme.lower()
    if scheme == "sqlite":
        from models.documents.sqlite import SqliteStores

        path = sqlite_path(url)
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return SqliteStores(path, busy_timeout_ms=max(int(timeout_s * 5000), 5000))
    from models.documents.mongo import MongoStores, mongo_client

    if scheme in ("mongodb", "mongodb+srv"):
        return MongoStores(mongo_client(url, timeout_s), snapshots_db, transactions_db)
    if scheme == "mongomock":
        import mongomock

        from models.documents.mongomock_compat import patch_mongomock

        patch_mongomock()
        return MongoStores(mongomock.MongoClient(), snapshots_db, transactions_db)
    raise ValueError(
        f"Unknown document store URL scheme {scheme!r}: use sqlite:///, mongodb:// or mongomock://."
    )
