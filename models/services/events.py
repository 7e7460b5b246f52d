"""Domain events: written with the change they report (the outbox), read as an ordered feed.

Two outboxes, one per store where changes are written:
- SQL changes (a timeframe's `closed` status, ...) append their events to the event log in the
  same unit of work: `record_event(uow, ...)` before `uow.commit()`.
- Document changes (settlement runs, items, transactions) pass `doc_event(...)` results to the
  collection write (`events=`), which stores them in the same store step; `relay_outbox` then
  appends them to the event log (idempotent by event id) and forgets them.
The event log is the feed: positions follow commit order, so a cursor never skips an event.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from models.domain import events as ev
from models.domain.timeframes import format_instant
from models.ports import Doc, Stores, UnitOfWork
from models.services.clock import aware_utc, utcnow

RELAY_BATCH = 500
log = logging.getLogger("minigrid.events")
MAX_PAGE = 1000


def now_text() -> str:
    """The wall clock as an ISO instant."""
    return format_instant(aware_utc(utcnow()))


def new_event(
    type_: str,
    grid_id: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    prosumer_id: str | None = None,
    community_id: str | None = None,
    occurred_at: str | None = None,
) -> Doc:
    """An event (its id deterministic when given: a change written twice reports once)."""
    return ev.event(
        event_id or f"{type_}:{uuid.uuid4()}",
        type_,
        grid_id,
        occurred_at or now_text(),
        data,
        prosumer_id=prosumer_id,
        community_id=community_id,
    )


def record_event(
    uow: UnitOfWork,
    type_: str,
    grid_id: str,
    data: dict[str, Any],
    *,
    event_id: str | None = None,
    prosumer_id: str | None = None,
    community_id: str | None = None,
) -> Doc:
    """Write an event in this unit of work: it commits (or rolls back) with the change."""
    evt = new_event(
        type_,
        grid_id,
        data,
        event_id=event_id,
        prosumer_id=prosumer_id,
        community_id=community_id,
    )
    uow.events.append([evt])
    return evt


doc_event = new_event  # an event to pass to a document write's `events=`


def relay_outbox(container: Stores) -> int:
    """Append the document store's waiting events to the event log; how many were new."""
    outbox = container.documents.outbox
    moved = 0
    while batch := outbox.pending(RELAY_BATCH):
        with container.uow() as uow:
            moved += uow.events.append(batch)
            uow.commit()
        outbox.remove([e["id"] for e in batch])
        if len(batch) < RELAY_BATCH:
            break
    return moved


def publish(container: Stores) -> None:
    """Relay now, after a document change with events; on failure the worker's relay will."""
    try:
        relay_outbox(container)
    except Exception:  # the events wait in the outbox, nothing is lost
        log.warning("outbox relay deferred to the worker", exc_info=True)


@dataclass(frozen=True)
class Scope:
    """Which events a reader may see (see `EventScope`)."""

    grid_id: str | None = None
    prosumer_id: str | None = None
    community_id: str | None = None


def scope_of(container: Stores, role: str, grid_id: str | None, prosumer_id: str | None) -> Scope:
    """The scope of a key: admin all, operator its grid, prosumer itself and its aggregates."""
    if role == "admin":
        return Scope()
    if role == "operator":
        return Scope(grid_id=grid_id or "-")
    with container.uow(write=False) as uow:
        prosumer = uow.registry.prosumer(prosumer_id or "")
        home = prosumer.grid_id if prosumer is not None else "-"
        community = prosumer.community_id if prosumer is not None else None
        return Scope(grid_id=home, prosumer_id=prosumer_id, community_id=community)


@dataclass(frozen=True)
class FeedPage:
    events: list[Doc]  # each with its `cursor`
    next_cursor: str | None  # after the last event of this page (or the cursor given)
    newest_cursor: str | None  # the newest event the reader may see


def read_feed(
    container: Stores,
    scope: Scope,
    after: str | None,
    types: Sequence[str],
    grid_id: str | None,
    limit: int,
) -> FeedPage:
    """Events after a cursor, oldest first, within the reader's scope (ValueError: bad cursor)."""
    position = 0 if not after else ev.decode_cursor(after)
    if grid_id is not None:
        if scope.grid_id is not None and scope.grid_id != grid_id:
            return FeedPage([], after, None)
        scope = Scope(grid_id, scope.prosumer_id, scope.community_id)
    with container.uow(write=False) as uow:
        rows = uow.events.page(position, scope, types, min(limit, MAX_PAGE))
        newest = uow.events.newest(scope, types)
    events = [{"cursor": ev.encode_cursor(p), **e} for p, e in rows]
    last = ev.encode_cursor(rows[-1][0]) if rows else after
    return FeedPage(events, last, ev.encode_cursor(newest) if newest else None)
