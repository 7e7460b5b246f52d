"""Test-only fixes that let mongomock 4.3 run the pymongo 4.x adapter unchanged.

pymongo >= 4.11 passes `sort=` to bulk builders, which mongomock does not accept; and mongomock
scans the whole collection for every `{"_id": key}` lookup, which makes upserts quadratic.
Both patches keep mongomock's results identical; they are applied only for `mongomock://`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

_SCALAR_KEYS = (str, int)


def patch_mongomock() -> None:
    """Patch mongomock's bulk builder and `_id` lookups once per process."""
    from mongomock.collection import BulkOperationBuilder, Collection

    if getattr(Collection, "_minigrid_patched", False):
        return
    originals: tuple[Any, Any, Any] = (  # mongomock is untyped
        BulkOperationBuilder.add_replace,
        BulkOperationBuilder.add_update,
        Collection._iter_documents,
    )
    replace, update, iterate = originals

    def add_replace(
        self: Any, selector: Any, doc: Any, upsert: Any, sort: Any = None, **kw: Any
    ) -> Any:
        return replace(self, selector, doc, upsert, **kw)

    def add_update(
        self: Any, selector: Any, doc: Any, *args: Any, sort: Any = None, **kw: Any
    ) -> Any:
        return update(self, selector, doc, *args, **kw)

    def iter_documents(self: Any, filter: Any) -> Iterator[Any]:
        if isinstance(filter, Mapping) and list(filter) == ["_id"]:
            key = filter["_id"]
            if isinstance(key, _SCALAR_KEYS) and not isinstance(key, bool):
                return iter([self._store[key]] if key in self._store else [])
        found: Iterator[Any] = iterate(self, filter)
        return found

    setattr(BulkOperationBuilder, "add_replace", add_replace)  # noqa: B010
    setattr(BulkOperationBuilder, "add_update", add_update)  # noqa: B010
    setattr(Collection, "_iter_documents", iter_documents)  # noqa: B010
    setattr(Collection, "_minigrid_patched", True)  # noqa: B010
