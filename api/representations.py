"""Serialized rows, cached by the row's own values: a read skips marshmallow when nothing changed.

The key of an entry is the whole row as read from the store on this request, and the entry is what
dumping that row gives, so a hit can never differ from a fresh dump. A write by any process changes
the row (at least `updated_at`), so the next read misses and dumps again: nothing to invalidate.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import marshmallow as ma
from flask import Response, current_app
from flask_smorest.etag import EtagMixin, _get_etag_ctx


class Representations:
    """JSON bytes (and ETag) of rows dumped by `schema`, keyed by the rows' values."""

    def __init__(self, schema: ma.Schema, size: int = 20_000) -> None:
        self.schema = schema
        self.size = size
        self._items: dict[Hashable, bytes] = {}
        self._ones: dict[Hashable, tuple[bytes, str]] = {}

    def one(self, row: Any) -> tuple[bytes, str]:
        """A response body of one row, and the ETag flask-smorest gives it (If-Match checks it)."""
        key = tuple(row)
        hit = self._ones.get(key)
        if hit is None:
            data = self.schema.dump(row)
            hit = (current_app.json.response(data).get_data(), EtagMixin._generate_etag(data))
            _remember(self._ones, key, hit, self.size)
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
            _remember(self._items, key, body, self.size)
        return body

    def array(self, rows: Iterable[Any]) -> bytes:
        """A JSON array of the rows."""
        return b"[" + b",".join(self.item(row) for row in rows) + b"]"

    def _dump(self, row: Any) -> bytes:
        return compact(self.schema.dump(row))


def _remember(table: dict[Hashable, Any], key: Hashable, value: Any, size: int) -> None:
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
