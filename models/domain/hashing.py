"""Canonical JSON and content hashes of documents."""

from __future__ import annotations

import hashlib
import json
from typing import Any

_CANONICAL = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)


def canonical_json(obj: Any) -> bytes:
    """UTF-8 JSON with sorted keys and no spaces (NaN and infinities are refused); one encoder
    for every call (`json.dumps` with options builds one per call)."""
    return _CANONICAL.encode(obj).encode("utf-8")


def content_hash(doc: dict[str, Any]) -> str:
    """sha256 hex of the canonical JSON of `doc` without its `content_hash` field."""
    body = {key: value for key, value in doc.items() if key != "content_hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()
