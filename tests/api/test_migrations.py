"""Migrations: empty -> head -> base -> head on each engine, and they agree with the ORM."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from migrations.runner import alembic_config, downgrade, upgrade
from models.sql.engine import make_engine
from models.sql.tables import Base
from tests.conftest import fresh_pg_database


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database on each engine (PostgreSQL: created for this test, dropped after)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    with fresh_pg_database(migrate=False) as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _current(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()


def _diff(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "render_as_batch": True}
            )
            return list(compare_metadata(context, Base.metadata))
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade(empty_url: str) -> None:
    head = ScriptDirectory.from_config(alembic_config(empty_url)).get_current_head()
    orm_tables = set(Base.metadata.tables)
    assert _tables(empty_url) == set()
    upgrade(empty_url)
    assert _current(empty_url) == head
    assert _tables(empty_url) == orm_tables | {"alembic_version"}
    downgrade(empty_url, "base")
    assert _current(empty_url) is None
    assert _tables(empty_url) - {"alembic_version"} == set()
    upgrade(empty_url)
    assert _current(empty_url) == head
    assert _tables(empty_url) == orm_tables | {"alembic_version"}


def test_autogenerate_finds_no_difference(empty_url: str) -> None:
    upgrade(empty_url)
    assert _diff(empty_url) == []


def test_autogenerate_would_notice_a_drift(empty_url: str) -> None:
    upgrade(empty_url)
    engine = make_engine(empty_url)
    with engine.begin() as conn:
        conn.execute(text("ALTER TABLE grids ADD COLUMN stray VARCHAR(10)"))
    engine.dispose()
    assert any("stray" in repr(change) for change in _diff(empty_url))
