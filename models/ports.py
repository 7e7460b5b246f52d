"""The storage edges the service layer speaks to: small Protocols, one adapter per engine.

Documents are plain dicts of JSON types. Instants are ISO 8601 UTC strings with a `Z`
(``2026-10-01T00:15:00Z``): they sort as text, so both document engines order and range them alike.
Energy is integer Wh, money integer minor units; prices are decimal strings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Protocol

Doc = dict[str, Any]
# total(key, count): count(), or a count taken recently under the same key (list endpoints)
Totals = Callable[[Hashable, Callable[[], int]], int] | None


class Collection(Protocol):
    """A keyed document collection with equality queries (settlement state, small volumes)."""

    def get(self, key: str) -> Doc | None: ...

    def put(self, key: str, doc: Doc) -> None:
        """Insert or replace the document stored under `key`."""

    def put_many(self, docs: Mapping[str, Doc]) -> None:
        """Insert or replace many documents in one round trip."""

    def insert_if_absent(self, key: str, doc: Doc) -> Doc:
        """Store `doc` unless `key` exists; return what is stored under `key` afterwards."""

    def update(self, key: str, changes: Doc, expect: Doc | None = None) -> bool:
        """Set top-level fields of `key`; only when every `expect` field equals. True if applied."""

    def find(
        self,
        where: Mapping[str, Any] | None = None,
        sort: list[tuple[str, int]] | None = None,
        skip: int = 0,
        limit: int = 0,
    ) -> list[Doc]:
        """Documents whose top-level fields equal `where`, sorted by (field, 1|-1) pairs."""

    def count(self, where: Mapping[str, Any] | None = None) -> int: ...


class SnapshotStore(Protocol):
    """Immutable grid snapshots, one per closed (grid, timeframe)."""

    def save(self, snapshot: Doc) -> Doc:
        """Store a snapshot unless one exists for (grid_id, start); return the stored one."""

    def get(self, grid_id: str, start: str) -> Doc | None:
        """The full snapshot with its per-prosumer `lines`, or None."""

    def list_totals(
        self, grid_id: str, start_from: str, start_to: str, skip: int, limit: int
    ) -> tuple[list[Doc], int]:
        """Snapshots without lines, `start_from <= start < start_to`, oldest first; the total."""

    def netto(
        self, grid_id: str, start_from: str, start_to: str, skip: int, limit: int
    ) -> tuple[list[Doc], int, Doc]:
        """Per-prosumer sums over the range (by prosumer_id), the prosumer count, grid totals."""


class TransactionStore(Protocol):
    """Trades produced by clearing; ids are deterministic (grid, timeframe, line)."""

    def save_timeframe(self, grid_id: str, start: str, trades: Iterable[Doc]) -> None:
        """Write a timeframe's trades idempotently: same ids, same content, never duplicates."""

    def timeframe(self, grid_id: str, start: str) -> list[Doc]:
        """All trades of one timeframe in line order."""

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
        """Trades in range, newest timeframe first then line; `party` is seller or buyer."""

    def page(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
        skip: int,
        limit: int,
    ) -> list[Doc]:
        """`list` without its count."""

    def count(
        self,
        grid_id: str,
        start_from: str,
        start_to: str,
        party: str | None,
        counterparty: str | None,
    ) -> int:
        """How many trades `list` pages through."""

    def party_sums(self, grid_id: str, start_from: str, start_to: str, party: str) -> Doc:
        """{sold_wh, bought_wh, received_minor, paid_minor, trades} of one party over the range."""

    def all_party_sums(self, grid_id: str, start_from: str, start_to: str) -> dict[str, Doc]:
        """The same sums for every party that traded in the range."""

    def per_timeframe(self, grid_id: str, start_from: str, start_to: str, party: str) -> list[Doc]:
        """{start, received_minor, paid_minor} per timeframe of one party, oldest first."""


class DocumentStores(Protocol):
    """Everything the document engine holds, opened from one URL."""

    snapshots: SnapshotStore
    transactions: TransactionStore

    def collection(self, name: str) -> Collection: ...

    def ping(self, timeout_s: float) -> None:
        """Raise if the engine does not answer within the timeout."""

    def close(self) -> None: ...
