"""TransactionStore on SQLite: `tx_trades` with indexed key, party and amount columns."""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Mapping
from typing import Any, cast

from models.documents.shapes import (
    PARTY_SUM_FIELDS,
    checked_trades,
    exact_int,
)
from models.documents.sqlite_db import SqliteDb, dumps
from models.ports import Doc

_COLUMNS = (
    "id",
    "grid_id",
    "timeframe_start",
    "line",
    "seller",
    "buyer",
    "energy_wh",
    "amount_minor",
    "body",
    "currency",
    "unit_price",
    "kind",
    "order_id",
)
_UPSERT = (
    f"INSERT INTO tx_trades ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' for _ in _COLUMNS)})"
    f" ON CONFLICT (id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _COLUMNS[1:])}"
    f" WHERE ({', '.join(f'tx_trades.{c}' for c in _COLUMNS[1:])})"
    f" IS NOT ({', '.join(f'excluded.{c}' for c in _COLUMNS[1:])})"
)
# A trade in exactly the shape the clearing writes (`trades._doc`) is stored as its columns with
# an empty body (no JSON to write or parse); any other document keeps its JSON body.
_PLAIN = (
    "_id",
    "grid_id",
    "timeframe_start",
    "currency",
    "line",
    "seller",
    "buyer",
    "energy_wh",
    "unit_price",
    "amount_minor",
    "kind",
    "order_id",
)
_SELECT = (
    "SELECT id, grid_id, timeframe_start, currency, line, seller, buyer, energy_wh, unit_price,"
    " amount_minor, kind, order_id, body FROM tx_trades"
)
_RANGE = "grid_id = ? AND timeframe_start >= ? AND timeframe_start < ?"
_SUMS = (
    "COALESCE(SUM(CASE WHEN seller = :p THEN energy_wh END), 0),"
    " COALESCE(SUM(CASE WHEN buyer = :p THEN energy_wh END), 0),"
    " COALESCE(SUM(CASE WHEN seller = :p THEN amount_minor END), 0),"
    " COALESCE(SUM(CASE WHEN buyer = :p THEN amount_minor END), 0), COUNT(*)"
)
_NAMED_RANGE = (
    "grid_id = :g AND timeframe_start >= :a AND timeframe_start < :b"
    " AND (seller = :p OR buyer = :p)"
)
_ALL_SUMS = (
    "SELECT party, SUM(sold), SUM(bought), SUM(received), SUM(paid), SUM(n) FROM ("
    f" SELECT seller AS party, energy_wh AS sold, 0 AS bought, amount_minor AS received,"
    f" 0 AS paid, 1 AS n FROM tx_trades WHERE {_RANGE}"
    " UNION ALL SELECT buyer, 0, energy_wh, 0, amount_minor, (buyer <> seller)"
    f" FROM tx_trades WHERE {_RANGE}) GROUP BY party ORDER BY party"
)


def _trade_row(trade: Doc) -> tuple[Any, ...]:
    """Column values of one tx_trades row: a plain trade's columns with an empty body, or the
    key columns and the document's JSON body."""
    keys = (
        trade["_id"],
        trade["grid_id"],
        trade["timeframe_start"],
        exact_int(trade["line"]),
        trade["seller"],
        trade["buyer"],
        exact_int(trade["energy_wh"]),
        exact_int(trade["amount_minor"]),
    )
    if _plain(trade):
        return (*keys, "", trade["currency"], trade["unit_price"], trade["kind"], trade["order_id"])
    return (*keys, dumps(trade), None, None, None, None)


def _plain(trade: Doc) -> bool:
    """True when the columns give the document back exactly (keys, order and types)."""
    return (
        tuple(trade) == _PLAIN
        and type(trade["seller"]) is str
        and type(trade["buyer"]) is str
        and type(trade["currency"]) is str
        and type(trade["unit_price"]) is str
        and type(trade["kind"]) is str
        and (trade["order_id"] is None or type(trade["order_id"]) is str)
    )


_PARSED: dict[str, Doc] = {}
_PARSED_MAX = 20_000


def _doc(row: tuple[Any, ...]) -> Doc:
    """The stored trade of a `_SELECT` row: from its columns, or from its JSON body."""
    body = row[-1]
    if not body:
        return dict(zip(_PLAIN, row[:-1], strict=True))
    return _parse(body)


def _parse(body: str) -> Doc:
    """A stored trade body as a new dict; parsing remembered by the text (a pure function).

    Trades are flat, so a shallow copy is a full copy; a nested one is parsed every time.
    """
    doc = _PARSED.get(body)
    if doc is None:
        doc = cast(Doc, json.loads(body))
        if any(isinstance(v, dict | list) for v in doc.values()):
            return doc
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[body] = doc
    return dict(doc)


def _parties(party: str | None, counterparty: str | None) -> tuple[str, list[str]]:
    """SQL condition and parameters for the party/counterparty filter."""
    if party is not None and counterparty is not None:
        cond = " AND ((seller = ? AND buyer = ?) OR (seller = ? AND buyer = ?))"
        return cond, [party, counterparty, counterparty, party]
    one = party if party is not None else counterparty
    return ("", []) if one is None else (" AND (seller = ? OR buyer = ?)", [one, one])


class SqliteTransactionStore:
    """Trades keyed by their deterministic id."""

    def __init__(self, db: SqliteDb) -> None:
        self._db = db

    def save_timeframe(self, grid_id: str, start: str, trades: Iterable[Doc]) -> None:
        """Upsert a timeframe's trades in one transaction; unchanged rows are not rewritten."""
        rows = [_trade_row(t) for t in checked_trades(grid_id, start, trades)]
        with self._db.write() as conn:
            conn.executemany(_UPSERT, rows)

    def save_timeframes(self, grid_id: str, trades: Mapping[str, Iterable[Doc]]) -> None:
        """`save_timeframe` for several timeframes in one transaction."""
        rows = [
            _trade_row(t)
            for start, docs in trades.items()
            for t in checked_trades(grid_id, start, docs)
        ]
        with self._db.write() as conn:
            conn.executemany(_UPSERT, rows)

    def delete_grid(self, grid_id: str) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM tx_trades WHERE grid_id = ?", (grid_id,))

    def timeframe(self, grid_id: str, start: str) -> list[Doc]:
        """All trades of one timeframe in line order."""
        sql = f"{_SELECT} WHERE grid_id = ? AND timeframe_start = ? ORDER BY line"
        return [_doc(row) for row in self._db.conn.execute(sql, (grid_id, start))]

    def list(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
        skip: int,
        limit: int,
    ) -> tuple[list[Doc], int]:
        """Trades in range, newest timeframe first then line, and their count (one snapshot)."""
        query = _Listing(grid_id, start_from, start_to, party, counterparty)
        with self._db.read() as conn:
            return query.page(conn, skip, limit), query.count(conn)

    def page(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
        skip: int,
        limit: int,
    ) -> builtins.list[Doc]:
        """`list` without its count."""
        query = _Listing(grid_id, start_from, start_to, party, counterparty)
        with self._db.read() as conn:
            return query.page(conn, skip, limit)

    def count(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
    ) -> int:
        """How many trades `list` pages through."""
        query = _Listing(grid_id, start_from, start_to, party, counterparty)
        with self._db.read() as conn:
            return query.count(conn)

    def party_sums(self, grid_id: str, start_from: str, start_to: str, party: str) -> Doc:
        """Sold/bought energy, received/paid money and trade count of one party."""
        params = {"g": grid_id, "a": start_from, "b": start_to, "p": party}
        row = self._db.conn.execute(
            f"SELECT {_SUMS} FROM tx_trades WHERE {_NAMED_RANGE}", params
        ).fetchone()
        return dict(zip(PARTY_SUM_FIELDS, map(exact_int, row), strict=True))

    def all_party_sums(self, grid_id: str, start_from: str, start_to: str) -> dict[str, Doc]:
        """The party sums of every seller and buyer in range."""
        params = (grid_id, start_from, start_to) * 2
        rows = self._db.conn.execute(_ALL_SUMS, params).fetchall()
        return {r[0]: dict(zip(PARTY_SUM_FIELDS, map(exact_int, r[1:]), strict=True)) for r in rows}

    def per_timeframe(
        self, grid_id: str, start_from: str, start_to: str, party: str
    ) -> builtins.list[Doc]:
        """Received/paid money and sold/bought energy of one party per timeframe, oldest first."""
        params = {"g": grid_id, "a": start_from, "b": start_to, "p": party}
        rows = self._db.conn.execute(
            f"SELECT timeframe_start, {_SUMS} FROM tx_trades WHERE {_NAMED_RANGE}"
            " GROUP BY timeframe_start ORDER BY timeframe_start",
            params,
        )
        keys = ("received_minor", "paid_minor", "sold_wh", "bought_wh")
        out = []
        for start, *sums in rows:
            named = dict(zip(PARTY_SUM_FIELDS, map(exact_int, sums), strict=True))
            out.append({"start": start, **{k: named[k] for k in keys}})
        return out


class _Listing:
    """The trades of a range (and parties), as `list` pages through them."""

    def __init__(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
    ) -> None:
        cond, extra = _parties(party, counterparty)
        self.params: list[Any] = [grid_id, start_from, start_to, *extra]
        self.where = f"{_RANGE}{cond}"

    def page(self, conn: Any, skip: int, limit: int) -> list[Doc]:
        rows = conn.execute(
            f"{_SELECT} WHERE {self.where}"
            " ORDER BY timeframe_start DESC, line ASC LIMIT ? OFFSET ?",
            [*self.params, limit if limit > 0 else -1, max(skip, 0)],
        ).fetchall()
        return [_doc(row) for row in rows]

    def count(self, conn: Any) -> int:
        total = conn.execute(f"SELECT COUNT(*) FROM tx_trades WHERE {self.where}", self.params)
        return int(total.fetchone()[0])
