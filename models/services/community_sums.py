"""A timeframe's readings summed per community, with what does not change kept per process.

Kept values are keyed by what they depend on, read cheaply on every call: the grid's prosumers
(how many, their newest `updated_at`: any write of a prosumer by any process sets it) for the
expected readings, and also the timeframe's readings (how many, newest `updated_at`, sums) for
the sums. So a kept value always equals a fresh computation; a write only makes the next call
compute again. Bounded: a full table is emptied.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from models.ports import Sums, UnitOfWork

_KEPT: dict[tuple[Any, ...], Any] = {}
SIZE = 512


def _kept(key: tuple[Any, ...], compute: Callable[[], Any]) -> Any:
    hit = _KEPT.get(key)
    if hit is None:
        hit = compute()
        if len(_KEPT) >= SIZE:
            _KEPT.clear()
        _KEPT[key] = hit
    return hit


def expected(
    uow: UnitOfWork, grid_id: str, end: datetime, community_ids: Sequence[str] | None = None
) -> dict[str | None, int]:
    """Active prosumers registered before `end`, per community (None: outside any)."""
    mark = uow.communities.prosumers_mark(grid_id)
    counts: dict[str | None, int] = _kept(
        ("expected", grid_id, end, *mark), lambda: uow.communities.expected(grid_id, end)
    )
    if community_ids is None:
        return dict(counts)
    return {cid: counts[cid] for cid in community_ids if cid in counts}


def open_sums(
    uow: UnitOfWork, grid_id: str, start: datetime, end: datetime
) -> tuple[dict[str | None, Sums], dict[str | None, int]]:
    """Every community's sums of the timeframe at `start` so far, and its expected readings."""
    mark = uow.communities.fingerprint(grid_id, start)
    sums = _kept(
        ("sums", grid_id, start, *mark), lambda: uow.communities.sums_at(grid_id, start, end)
    )
    return dict(sums), expected(uow, grid_id, end)
