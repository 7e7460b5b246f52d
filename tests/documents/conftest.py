"""The document-store engines every contract test runs on."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from models.documents import open_document_stores
from models.ports import DocumentStores

MONGO_URL = os.environ.get("MONGO_URL", "")

ENGINES = [
    "sqlite",
    "mongomock",
    pytest.param(
        "mongodb",
        marks=pytest.mark.skipif(
            not MONGO_URL.startswith("mongodb"), reason="MONGO_URL is not set"
        ),
    ),
]


@pytest.fixture(params=ENGINES)
def stores(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStores]:
    """Fresh, empty document stores on one engine."""
    if request.param == "sqlite":
        opened = open_document_stores(f"sqlite:///{tmp_path}/docs/minigrid.db")
        yield opened
        opened.close()
        return
    if request.param == "mongomock":
        opened = open_document_stores("mongomock://")
        yield opened
        opened.close()
        return
    names = {n: f"t_{uuid.uuid4().hex[:12]}_{n}" for n in ("snap", "tx")}
    opened = open_document_stores(
        MONGO_URL, snapshots_db=names["snap"], transactions_db=names["tx"], timeout_s=5.0
    )
    yield opened
    client = opened._client  # type: ignore[attr-defined]
    for name in names.values():
        client.drop_database(name)
    opened.close()
