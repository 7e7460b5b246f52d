"""Hot reads as Core statements on a connection: rows, not ORM objects (no session, no identity).

Statements are built once (bound parameters), so a request pays for executing, not for building.
"""

from __future__ import annotations

import functools
from typing import Any, cast

from sqlalchemy import (
    Connection,
    DateTime,
    Dialect,
    Row,
    Select,
    String,
    bindparam,
    func,
    select,
    type_coerce,
)
from sqlalchemy.sql.compiler import SQLCompiler

from models.ports import PROSUMER_PAGE_FIELDS, KeyRecord, ProsumerRecord, Reads
from models.sql.tables import ApiKey, Grid, Prosumer

PROSUMERS = Prosumer.__table__
_KEY = select(ApiKey.__table__).where(ApiKey.prefix == bindparam("prefix"))
_PROSUMER = select(*(PROSUMERS.c[name] for name in PROSUMER_PAGE_FIELDS)).where(
    PROSUMERS.c.id == bindparam("id")
)
_GRID = select(Grid.id).where(Grid.id == bindparam("id"))
_INSTANTS = frozenset(c.name for c in PROSUMERS.c if isinstance(c.type, DateTime))
# a page's instants as stored (SQLite: text): parsed only for a row not serialized before
_AS_STORED = [
    type_coerce(c, String).label(c.name) if c.name in _INSTANTS else c
    for c in (PROSUMERS.c[name] for name in PROSUMER_PAGE_FIELDS)
]


def key_by_prefix(conn: Connection, prefix: str) -> Row[Any] | None:
    """The api_keys row with this lookup prefix."""
    return conn.execute(_KEY, {"prefix": prefix}).first()


def prosumer(conn: Connection, prosumer_id: str) -> Row[Any] | None:
    """The prosumers row with this id."""
    return conn.execute(_PROSUMER, {"id": prosumer_id}).first()


def grid_exists(conn: Connection, grid_id: str) -> bool:
    return conn.execute(_GRID, {"id": grid_id}).first() is not None


def _filters(**filters: Any) -> dict[str, Any]:
    """The bound values of the given filters (a name prefix as an escaped LIKE pattern)."""
    values = {k: filters[k] for k in ("kind", "active") if filters.get(k) is not None}
    if filters.get("name_prefix"):
        prefix = filters["name_prefix"].replace("\\", "\\\\").replace("%", "\\%")
        values["pattern"] = prefix.replace("_", "\\_") + "%"
    return values


@functools.cache
def _filtered(what: str, names: frozenset[str]) -> Select[Any]:
    """A grid's prosumers narrowed by the named filters: a page by name (then id), or a count."""
    columns = PROSUMERS.c
    stmt = select(func.count()) if what == "count" else select(*_AS_STORED)
    stmt = stmt.where(columns.grid_id == bindparam("grid_id"))
    if "kind" in names:
        stmt = stmt.where(columns.kind == bindparam("kind"))
    if "active" in names:
        stmt = stmt.where(columns.active == bindparam("active"))
    if "pattern" in names:
        stmt = stmt.where(columns.name.like(bindparam("pattern"), escape="\\"))
    if what == "count":
        return stmt
    order = stmt.order_by(columns.name, columns.id)
    return order.limit(bindparam("limit")).offset(bindparam("offset"))


def count_prosumers(conn: Connection, grid_id: str, **filters: Any) -> int:
    """How many of a grid's prosumers match the filters (kind, active, name_prefix)."""
    values = _filters(**filters)
    stmt = _filtered("count", frozenset(values))
    return int(conn.execute(stmt, {"grid_id": grid_id, **values}).scalar_one())


def prosumer_page(
    conn: Connection, grid_id: str, page: int, size: int, **filters: Any
) -> list[tuple[Any, ...]]:
    """One page of a grid's prosumers by name (then id) matching the filters (see `typed`).

    Plain driver tuples, as stored (a page is only compared and, for a row not seen, typed).
    """
    values = _filters(**filters)
    stmt = _filtered("page", frozenset(values))
    bound = {"grid_id": grid_id, "limit": size, "offset": (page - 1) * size, **values}
    return _driver_rows(conn, stmt, bound)


@functools.lru_cache(maxsize=256)
def _compiled(stmt: Select[Any], dialect: Dialect) -> SQLCompiler:
    return stmt.compile(dialect=dialect)


def _driver_rows(conn: Connection, stmt: Select[Any], bound: dict[str, Any]) -> list[Any]:
    """`stmt`'s rows straight from the driver's cursor (no result processing), on `conn`."""
    compiled = _compiled(stmt, conn.dialect)
    params: Any = compiled.construct_params(bound)
    if compiled.positiontup is not None:
        params = [params[name] for name in compiled.positiontup]
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(compiled.string, params)
        return list(cursor.fetchall())
    finally:
        cursor.close()


class SqlReads:
    """The `Reads` port over one connection."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def key_by_prefix(self, prefix: str) -> KeyRecord | None:
        return cast("KeyRecord | None", key_by_prefix(self.conn, prefix))

    def prosumer(self, prosumer_id: str) -> ProsumerRecord | None:
        return cast("ProsumerRecord | None", prosumer(self.conn, prosumer_id))

    def grid_exists(self, grid_id: str) -> bool:
        return grid_exists(self.conn, grid_id)

    def count_prosumers(self, grid_id: str, **filters: Any) -> int:
        return count_prosumers(self.conn, grid_id, **filters)

    def prosumer_page(self, grid_id: str, page: int, size: int, **filters: Any) -> list[Any]:
        return prosumer_page(self.conn, grid_id, page, size, **filters)


def _implements(reads: SqlReads) -> Reads:
    return reads  # mypy checks the adapter against its port
