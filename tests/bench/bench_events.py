"""The event feed read over HTTP (events/s) and webhook fan-out to a local receiver."""

from __future__ import annotations

import http.client
import json
import time
from typing import Any

from models.domain import events as ev
from models.services.events import new_event
from models.services.webhooks import deliver_webhooks
from tests.events.receiver import receiver

EVENTS = 20_000
PAGE = 1000
HOOKS, HOOK_EVENTS = 4, 1000


def seed_events(container: Any, grid_id: str, count: int, prefix: str) -> None:
    """Append `count` timeframe.closed events in batches (the writes are not measured)."""
    for first in range(0, count, PAGE):
        batch = [
            new_event(ev.TIMEFRAME_CLOSED, grid_id, {"n": n}, event_id=f"{prefix}:{n}")
            for n in range(first, min(first + PAGE, count))
        ]
        with container.uow() as uow:
            uow.events.append(batch)
            uow.commit()


def read_feed(port: int, headers: dict[str, str]) -> tuple[int, float]:
    """Page through the whole feed over one keep-alive connection: (events, seconds)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    seen, cursor, began = 0, "", time.perf_counter()
    try:
        while True:
            query = f"?limit={PAGE}" + (f"&after={cursor}" if cursor else "")
            conn.request("GET", "/api/v1/events" + query, headers=headers)
            response = conn.getresponse()
            body = json.loads(response.read())
            assert response.status == 200, body
            if not body:
                return seen, time.perf_counter() - began
            seen += len(body)
            cursor = response.getheader("X-Next-Cursor") or ""
    finally:
        conn.close()


def fan_out(container: Any, grid_id: str) -> dict[str, Any]:
    """HOOKS subscriptions x HOOK_EVENTS events delivered to a local receiver in passes."""
    from models.services.webhooks import create_webhook

    container.config["WEBHOOK_ALLOWED_NETWORKS"] = "127.0.0.0/8"
    with receiver() as recv:
        for _ in range(HOOKS):
            with container.uow() as uow:
                create_webhook(container, uow, grid_id, {"url": recv.url})
        seed_events(container, grid_id, HOOK_EVENTS, f"hook-{time.time_ns()}")
        began = time.perf_counter()
        report = deliver_webhooks(container)
        took = time.perf_counter() - began
        received = len(recv.requests)
    return {
        "deliveries": report.succeeded,
        "received": received,
        "fan_out_s": took,
        "deliveries_per_s": report.succeeded / took,
        "concurrency": int(container.config["WEBHOOK_CONCURRENCY"]),
    }


def run(container: Any, port: int, headers: dict[str, str], grid_id: str) -> dict[str, Any]:
    seed_events(container, grid_id, EVENTS, f"bench-{time.time_ns()}")
    count, seconds = read_feed(port, headers)
    return {
        "feed_events_read": count,
        "feed_read_s": seconds,
        "feed_events_per_s": count / seconds,
        **fan_out(container, grid_id),
    }
