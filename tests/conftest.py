"""Shared fixtures: the app on each relational engine, with keys for every role."""

from __future__ import annotations

import contextlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from migrations.runner import upgrade
from models.sql.engine import make_engine, normalize_url

PG_URL = os.environ.get("TEST_DATABASE_URL", "")
IN_CI = bool(os.environ.get("CI"))


def _skip_or_fail(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI must not skip this)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite registry, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "registry.db"
    upgrade(f"sqlite:///{path}")
    return path


@contextlib.contextmanager
def fresh_pg_database(migrate: bool = True) -> Iterator[str]:
    """A new PostgreSQL database on TEST_DATABASE_URL's server (migrated to head), then dropped."""
    if not PG_URL:
        _skip_or_fail("TEST_DATABASE_URL is not set")
    name = f"minigrid_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(normalize_url(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(normalize_url(PG_URL)).set(database=name).render_as_string(hide_password=False)
    try:
        if migrate:
            upgrade(url)
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this session's rolled-back-transaction tests."""
    with fresh_pg_database() as url:
        yield url


# The OpenAPI document the first test app built, served by every later one: building it is two
# thirds of create_app (0.2 s a test). It depends on the code only, never on the config;
# tests/api/test_openapi.py checks a test app's document against a freshly built one.
_SPEC: list[Any] = []


@contextlib.contextmanager
def _shared_spec() -> Iterator[None]:
    """Skip documenting each blueprint once a test app has built the document."""
    from flask_smorest import Blueprint

    if not _SPEC:
        yield
        return
    document = Blueprint.register_views_in_doc
    Blueprint.register_views_in_doc = lambda *args, **kwargs: None  # type: ignore[method-assign]
    try:
        yield
    finally:
        Blueprint.register_views_in_doc = document  # type: ignore[method-assign]


def make_test_app(database_url: str, tmp_path: Path, **extra: Any) -> Any:
    """The app on `database_url`, its other stores under `tmp_path`, sharing one API document."""
    from api import create_app

    config = {
        "DATABASE_URL": database_url,
        "MONGO_URL": f"sqlite:///{tmp_path / 'documents.db'}",
        "LEDGER_URL": "eth-tester://",
        "LOG_LEVEL": "WARNING",
        "WRITE_RATE_LIMIT": "100000/minute",
        "QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}",
        **extra,
    }
    with _shared_spec():
        app = create_app(config)
    api = app.extensions["minigrid_api"]
    if _SPEC:
        api.spec = _SPEC[0]
    else:
        _SPEC.append(api.spec)
    return app


@pytest.fixture(params=["sqlite", "postgresql"])
def engine_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def app(engine_name: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    """The real app on SQLite (a migrated copy) or PostgreSQL (a rolled-back transaction)."""
    if engine_name == "sqlite":
        db = tmp_path / "registry.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), db)
        app = make_test_app(f"sqlite:///{db}", tmp_path)
        yield app
        app.extensions["minigrid"].close()
        return
    with rolled_back_app(request.getfixturevalue("pg_database"), tmp_path) as app:
        yield app


@contextlib.contextmanager
def rolled_back_app(url: str, tmp_path: Path) -> Iterator[Any]:
    """The app on PostgreSQL `url` inside one transaction, rolled back at the end."""
    app = make_test_app(url, tmp_path)
    engine = make_engine(url)
    connection = engine.connect()
    outer = connection.begin()
    app.extensions["minigrid"].bind_sessions(
        sessionmaker(
            bind=connection,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            class_=Session,
        )
    )
    try:
        yield app
    finally:
        outer.rollback()
        connection.close()
        engine.dispose()
        app.extensions["minigrid"].close()


@pytest.fixture
def client(app: Any) -> Any:
    return app.test_client()


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def make_key(app: Any, **data: Any) -> dict[str, str]:
    """Headers carrying a new key with this role and binding."""
    from models.services.keys import create_key

    with app.extensions["minigrid"].uow() as uow:
        _, secret = create_key(uow, data)
    return bearer(secret)


@pytest.fixture
def admin(app: Any) -> dict[str, str]:
    return make_key(app, role="admin")


GRID = {
    "name": "Lulea East",
    "timezone": "Europe/Stockholm",
    "timeframe_minutes": 15,
    "currency": "EUR",
    "import_price": "0.30",
    "feed_in_price": "0.10",
}


def wallet(n: int) -> str:
    return "0x" + f"{n:040x}"


@pytest.fixture
def grid(client: Any, admin: dict[str, str]) -> dict[str, Any]:
    response = client.post("/api/v1/grids", json=GRID, headers=admin)
    assert response.status_code == 201, response.json
    return response.json


def add_prosumer(client: Any, headers: dict[str, str], grid_id: str, n: int, **extra: Any) -> Any:
    body = {
        "name": f"house {n:03d}",
        "address": f"street {n}",
        "kind": "household",
        "wallet": wallet(n + 1),
        **extra,
    }
    response = client.post(f"/api/v1/grids/{grid_id}/prosumers", json=body, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def run_worker(app: Any) -> int:
    """Run what the app's task queue holds (the embedded SQLite file), as `flask worker
    --burst` does; how many tasks ran."""
    return int(app.extensions["minigrid"].task_queue().drain())
