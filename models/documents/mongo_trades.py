"""TransactionStore on pymongo: one `trades` collection keyed by the deterministic trade id."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database

from models.documents.mongo_collection import replace_many
from models.documents.shapes import (
    PARTY_SUM_FIELDS,
    checked_trades,
    exact_int,
    zero_party_sums,
)
from models.ports import Doc

_ORDER = [("timeframe_start", DESCENDING), ("line", ASCENDING)]


def _range(grid_id: str, start_from: str, start_to: str) -> Doc:
    """Filter for one grid's trades with `start_from <= timeframe_start < start_to`."""
    return {"grid_id": grid_id, "timeframe_start": {"$gte": start_from, "$lt": start_to}}


def _parties(party: str | None, counterparty: str | None) -> Doc:
    """The seller/buyer part of a list filter."""
    if party is not None and counterparty is not None:
        pairs = [{"seller": party, "buyer": counterparty}, {"seller": counterparty, "buyer": party}]
        return {"$or": pairs}
    one = party if party is not None else counterparty
    return {} if one is None else {"$or": [{"seller": one}, {"buyer": one}]}


def _when(cond: Doc, value: Any) -> Doc:
    """`$sum` of `value` over the documents where `cond` holds."""
    return {"$sum": {"$cond": [cond, value, 0]}}


def _sums_group(key: Any, party: str) -> Doc:
    """$group body with one party's sold/bought/received/paid sums and trade count."""
    as_seller, as_buyer = {"$eq": ["$seller", party]}, {"$eq": ["$buyer", party]}
    return {
        "_id": key,
        "sold_wh": _when(as_seller, "$energy_wh"),
        "bought_wh": _when(as_buyer, "$energy_wh"),
        "received_minor": _when(as_seller, "$amount_minor"),
        "paid_minor": _when(as_buyer, "$amount_minor"),
        "trades": {"$sum": 1},
    }


def _side_group(side: str) -> Doc:
    """$group body summing one side (seller or buyer) of every trade per party."""
    seller = side == "seller"
    energy, money = ("sold_wh", "received_minor") if seller else ("bought_wh", "paid_minor")
    count: Any = 1 if seller else {"$cond": [{"$eq": ["$seller", "$buyer"]}, 0, 1]}
    return {
        "_id": f"${side}",
        energy: {"$sum": "$energy_wh"},
        money: {"$sum": "$amount_minor"},
        "trades": {"$sum": count},
    }


class MongoTransactionStore:
    """Trades in the `trades` collection with the indexes the queries use."""

    def __init__(self, db: Database[Doc]) -> None:
        self._trades = db["trades"]
        self._indexed = False

    @property
    def _coll(self) -> Collection[Doc]:
        """The trades collection, its indexes created on first use."""
        if not self._indexed:
            self._create_indexes()
            self._indexed = True
        return self._trades

    def _create_indexes(self) -> None:
        """The (grid, time desc, line) and (grid, seller|buyer, time) indexes."""
        self._trades.create_index(
            [("grid_id", ASCENDING), ("timeframe_start", DESCENDING), ("line", ASCENDING)]
        )
        for side in ("seller", "buyer"):
            self._trades.create_index(
                [("grid_id", ASCENDING), (side, ASCENDING), ("timeframe_start", ASCENDING)]
            )

    def save_timeframe(self, grid_id: str, start: str, trades: Iterable[Doc]) -> None:
        """Upsert a timeframe's trades by id in batched unordered bulk writes."""
        replace_many(self._coll, checked_trades(grid_id, start, trades))

    def save_timeframes(self, grid_id: str, trades: Mapping[str, Iterable[Doc]]) -> None:
        """`save_timeframe` for several timeframes in the same batched bulk writes."""
        replace_many(
            self._coll,
            (t for start, docs in trades.items() for t in checked_trades(grid_id, start, docs)),
        )

    def delete_grid(self, grid_id: str) -> None:
        self._trades.delete_many({"grid_id": grid_id})

    def timeframe(self, grid_id: str, start: str) -> list[Doc]:
        """All trades of one timeframe in line order."""
        cursor = self._coll.find({"grid_id": grid_id, "timeframe_start": start})
        return list(cursor.sort("line", ASCENDING))

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
        """Trades in range, newest timeframe first then line, and their count."""
        return (
            self.page(grid_id, start_from, start_to, party, counterparty, skip, limit),
            self.count(grid_id, start_from, start_to, party, counterparty),
        )

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
        where = {**_range(grid_id, start_from, start_to), **_parties(party, counterparty)}
        cursor = self._coll.find(where).sort(_ORDER).skip(max(skip, 0)).limit(max(limit, 0))
        return list(cursor)

    def count(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
    ) -> int:
        """How many trades `list` pages through."""
        where = {**_range(grid_id, start_from, start_to), **_parties(party, counterparty)}
        return int(self._coll.count_documents(where))

    def party_sums(self, grid_id: str, start_from: str, start_to: str, party: str) -> Doc:
        """Sold/bought energy, received/paid money and trade count of one party."""
        match = {**_range(grid_id, start_from, start_to), **_parties(party, None)}
        group = _sums_group(None, party)
        found = list(self._coll.aggregate([{"$match": match}, {"$group": group}]))
        return _sums(found[0]) if found else zero_party_sums()

    def all_party_sums(self, grid_id: str, start_from: str, start_to: str) -> dict[str, Doc]:
        """The party sums of every seller and buyer in range."""
        match = {"$match": _range(grid_id, start_from, start_to)}
        out: dict[str, Doc] = {}
        for side in ("seller", "buyer"):
            for row in self._coll.aggregate([match, {"$group": _side_group(side)}]):
                sums = out.setdefault(row["_id"], zero_party_sums())
                for field in PARTY_SUM_FIELDS:
                    sums[field] += exact_int(row.get(field, 0))
        return dict(sorted(out.items()))

    def per_timeframe(
        self, grid_id: str, start_from: str, start_to: str, party: str
    ) -> builtins.list[Doc]:
        """Received/paid money and sold/bought energy of one party per timeframe, oldest first."""
        match = {**_range(grid_id, start_from, start_to), **_parties(party, None)}
        group = _sums_group("$timeframe_start", party)
        rows = self._coll.aggregate([{"$match": match}, {"$group": group}, {"$sort": {"_id": 1}}])
        return [_timeframe_row(row) for row in rows]


def _sums(row: Doc) -> Doc:
    """Party sums from a $group result, as exact ints."""
    return {f: exact_int(row[f]) for f in PARTY_SUM_FIELDS}


def _timeframe_row(row: Doc) -> Doc:
    """A per_timeframe row from a $group result."""
    sums = _sums(row)
    keys = ("received_minor", "paid_minor", "sold_wh", "bought_wh")
    return {"start": row["_id"], **{k: sums[k] for k in keys}}
