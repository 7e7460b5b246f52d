"""Hot reads as Core statements on a connection: rows, not ORM objects (no session, no identity)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Row, Select, func, select

from models.sql.tables import ApiKey, Grid, Prosumer

PROSUMERS = Prosumer.__table__


def key_by_prefix(conn: Connection, prefix: str) -> Row[Any] | None:
    """The api_keys row with this lookup prefix."""
    return conn.execute(select(ApiKey.__table__).where(ApiKey.prefix == prefix)).first()


def prosumer(conn: Connection, prosumer_id: str) -> Row[Any] | None:
    """The prosumers row with this id."""
    return conn.execute(select(PROSUMERS).where(PROSUMERS.c.id == prosumer_id)).first()


def grid_exists(conn: Connection, grid_id: str) -> bool:
    return conn.execute(select(Grid.id).where(Grid.id == grid_id)).first() is not None


def filter_prosumers(stmt: Select[Any], grid_id: str, **filters: Any) -> Select[Any]:
    """A grid's prosumers, narrowed by kind, active and a name prefix (LIKE wildcards escaped)."""
    stmt = stmt.where(PROSUMERS.c.grid_id == grid_id)
    if filters.get("kind") is not None:
        stmt = stmt.where(PROSUMERS.c.kind == filters["kind"])
    if filters.get("active") is not None:
        stmt = stmt.where(PROSUMERS.c.active == filters["active"])
    if filters.get("name_prefix"):
        prefix = filters["name_prefix"].replace("\\", "\\\\").replace("%", "\\%")
        stmt = stmt.where(PROSUMERS.c.name.like(prefix.replace("_", "\\_") + "%", escape="\\"))
    return stmt


def count_prosumers(conn: Connection, grid_id: str, **filters: Any) -> int:
    """How many of a grid's prosumers match the filters."""
    stmt = filter_prosumers(select(func.count()), grid_id, **filters)
    return int(conn.execute(stmt).scalar_one())


def prosumer_page(
    conn: Connection, grid_id: str, page: int, size: int, **filters: Any
) -> list[Row[Any]]:
    """One page of a grid's prosumers by name (then id)."""
    stmt = filter_prosumers(select(PROSUMERS), grid_id, **filters)
    stmt = stmt.order_by(PROSUMERS.c.name, PROSUMERS.c.id).limit(size).offset((page - 1) * size)
    return list(conn.execute(stmt))
