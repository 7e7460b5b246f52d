"""Serialized rows and pages, cached by the rows' own values: a read skips marshmallow (and, for a
page seen before, joining its rows) when nothing changed.

The key of an entry is the whole row as read from the store on this request, and the entry is what
dumping that row gives, so a hit can never differ from a fresh dump. A write by any process changes
the row (at least `updated_at`), so the next read misses and dumps again: nothing to invalidate.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import Any

import marshmallow as ma
from flask import Flask, Response, current_app, request
from flask_smorest.etag import EtagMixin, _get_etag_ctx

SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS"))
PAGE_BYTES = 64 * 1024  # a larger page (page_size up to 1000) is joined from its rows each time


class Representations:
    """JSON bytes (and ETag) of rows dumped by `schema`, keyed by the rows' values."""

    def __init__(
        self,
        schema: ma.Schema,
        size: int = 20_000,
        prepare: Callable[[Any], Any] | None = None,
        pages: int = 128,
    ) -> None:
        self.schema = schema
        self.size = size
        self.pages = pages
        self.prepare = prepare or (lambda row: row)  # what `schema` dumps, from a list row
        self._items: dict[Hashable, bytes] = {}
        self._ones: dict[Hashable, tuple[bytes, str]] = {}
        self._pages: dict[Hashable, bytes] = {}

    def one(self, row: Any) -> tuple[bytes, str]:
        """A response body of one row, and the ETag flask-smorest gives it (If-Match checks it)."""
        key = tuple(row)
        hit = self._ones.get(key)
        if hit is None:
            data = self.schema.dump(row)
            hit = (current_app.json.response(data).get_data(), EtagMixin._generate_etag(data))
            remember(self._ones, key, hit, self.size)
        return hit

    def item(self, row: Any) -> bytes:
        """Compact JSON of one row or document (keys sorted, as jsonify writes them)."""
        try:
            key: Hashable = tuple(row.items() if isinstance(row, dict) else row)
            body = self._items.get(key)
        except TypeError:  # a value that cannot be a key (a list, a dict): dump every time
            return self._dump(row)
        if body is None:
            body = self._dump(row)
            remember(self._items, key, body, self.size)
        return body

    def array(self, rows: Sequence[Any]) -> bytes:
        """A JSON array of the rows; a page of the same row values is joined once."""
        try:
            if rows and isinstance(rows[0], dict):
                key: Hashable = tuple([tuple(row.items()) for row in rows])
            else:  # plain tuples: comparing them is C, comparing ORM/Core rows is Python
                key = tuple(map(tuple, rows))
            body = self._pages.get(key)
        except TypeError:  # a value that cannot be a key: join the rows every time
            return self._join(rows)
        if body is None:
            body = self._join(rows)
            if len(body) <= PAGE_BYTES:  # bounds memory: at most `pages` x PAGE_BYTES (x2, keys)
                remember(self._pages, key, body, self.pages)
        return body

    def _join(self, rows: Iterable[Any]) -> bytes:
        return b"[" + b",".join(self.item(row) for row in rows) + b"]"

    def _dump(self, row: Any) -> bytes:
        return compact(self.schema.dump(self.prepare(row)))


def remember(table: dict[Any, Any], key: Hashable, value: Any, size: int) -> None:
    """Keep `value` under `key`, emptying `table` first when it holds `size` entries."""
    if len(table) >= size:
        table.clear()
    table[key] = value


def compact(data: Any) -> bytes:
    """JSON as jsonify writes it outside debug mode (compact, keys sorted), without the newline."""
    return current_app.json.dumps(data, separators=(",", ":")).encode()  # type: ignore[no-any-return]


def json_response(body: bytes) -> Response:
    """A 200 application/json response of ready bytes (flask-smorest passes a Response through)."""
    return Response(body, mimetype="application/json")


def tagged(blp: EtagMixin, body: bytes, etag: str) -> Response:
    """`body` under `etag`, or 304 when If-None-Match has it: what `blp.etag` does after a dump."""
    blp._check_not_modified(etag)
    _get_etag_ctx()["etag"] = etag
    return json_response(body)


class RecentTotals:
    """Row counts of list queries, kept `ttl_s` seconds: a page need not count every row again.

    A count can lag a write made through another process by at most `ttl_s` seconds (the page's
    rows are always read fresh); every write request through this process empties it.
    """

    def __init__(self, ttl_s: float, size: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._entries: dict[Hashable, tuple[float, int]] = {}

    def get(self, key: Hashable, count: Callable[[], int]) -> int:
        """The count under `key` if taken less than `ttl_s` ago, else `count()` (remembered)."""
        now = time.monotonic()
        entry = self._entries.get(key)
        if entry is not None and now - entry[0] < self.ttl_s:
            return entry[1]
        total = count()
        if self.ttl_s > 0:
            remember(self._entries, key, (now, total), self.size)
        return total

    def clear(self) -> None:
        self._entries.clear()


def init_app(app: Flask) -> None:
    """Keep the app's recent totals; forget them after every write request through this app."""
    totals = app.extensions["minigrid_totals"] = RecentTotals(float(app.config["KEY_CACHE_S"]))

    @app.after_request
    def _forget_on_write(response: Response) -> Response:
        if request.method not in SAFE_METHODS:
            totals.clear()
        return response


def recent_total(key: Hashable, count: Callable[[], int]) -> int:
    """`count()`, or the same count taken by this process within the last few seconds."""
    return current_app.extensions["minigrid_totals"].get(key, count)  # type: ignore[no-any-return]
