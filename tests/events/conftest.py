"""Fixtures of the event tests: the settlement world (a closed month) and the feed."""

from __future__ import annotations

from typing import Any

from models.services.events import Scope
from tests.queue.fixtures import queue_settings  # noqa: F401 (fixture)
from tests.settlement.conftest import accounts, container, world  # noqa: F401 (fixtures)


def all_events(stores: Any, **scope: Any) -> list[dict[str, Any]]:
    """Every event in the log within a scope, oldest first."""
    with stores.uow(write=False) as uow:
        return [e for _, e in uow.events.page(0, Scope(**scope), (), 100_000)]


def of_type(stores: Any, type_: str) -> list[dict[str, Any]]:
    return [e for e in all_events(stores) if e["type"] == type_]
