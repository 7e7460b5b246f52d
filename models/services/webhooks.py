"""Webhook subscriptions and their deliveries: at least once, signed, retried for a day.

A delivery pass (`deliver_webhooks`, run by the worker) does, each step safe to repeat:
1. relay the document outbox into the event log;
2. fan out: for each active subscription, the events after its cursor become pending
   deliveries and the cursor moves, in one transaction;
3. claim due deliveries by leasing them (recorded before any request is sent);
4. send them in parallel, each under a hard timeout, and record the outcome: 2xx succeeded,
   anything else retried with exponential backoff and jitter, failed after 24 h.
A worker killed mid-send leaves its deliveries leased; the lease runs out and the next pass
sends them again (at least once: subscribers dedupe on `webhook-id`). The pass is the periodic
task `events.deliver` of the task queue's workers (every PASS_EVERY_S, one at a time).
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from models.domain import events as ev
from models.ports import (
    DeliveryRecord,
    Stores,
    UnitOfWork,
    WebhookRecord,
    WebhookRefused,
)
from models.services.clock import utcnow
from models.services.errors import NotFound, Unprocessable, found
from models.services.events import Scope, relay_outbox
from models.services.tasks import task

PENDING, SUCCEEDED, FAILED = "pending", "succeeded", "failed"
DELIVER_TASK, PASS_EVERY_S = "events.deliver", 1.0
FANOUT_BATCH = 1000
CLAIM_BATCH = 200


def new_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 24 random bytes in base64."""
    import base64

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def view(hook: WebhookRecord) -> dict[str, Any]:
    return {
        "id": hook.id,
        "grid_id": hook.grid_id,
        "url": hook.url,
        "event_types": list(hook.event_types),
        "active": hook.active,
        "created_at": hook.created_at,
        "updated_at": hook.updated_at,
    }


def delivery_view(row: DeliveryRecord) -> dict[str, Any]:
    return {
        "id": row.id,
        "webhook_id": row.webhook_id,
        "event_id": row.event_id,
        "status": row.status,
        "attempts": row.attempts,
        "last_status_code": row.last_status_code,
        "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at if row.status == PENDING else None,
        "delivered_at": row.delivered_at,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _check(container: Stores, data: dict[str, Any]) -> None:
    if "url" in data:
        try:
            container.outbound.check_url(data["url"])
        except WebhookRefused as exc:
            raise Unprocessable(str(exc), field="url") from exc
    unknown = sorted(set(data.get("event_types") or ()) - set(ev.TYPES))
    if unknown:
        raise Unprocessable(f"unknown event types: {', '.join(unknown)}", field="event_types")


def create_webhook(
    container: Stores, uow: UnitOfWork, grid_id: str | None, data: dict[str, Any]
) -> tuple[WebhookRecord, str]:
    """Subscribe a URL to the events from now on; the record and its secret (shown once)."""
    _check(container, data)
    if grid_id is not None:
        found(uow.registry.grid(grid_id), "grid", grid_id)
    now, secret = utcnow(), new_secret()
    hook = uow.webhooks.add(
        id=str(uuid.uuid4()),
        grid_id=grid_id,
        url=data["url"],
        event_types=sorted(set(data.get("event_types") or ())),
        active=data.get("active", True),
        secret=secret,
        cursor=uow.events.newest(Scope(), ()),
        created_at=now,
        updated_at=now,
    )
    uow.commit()
    return hook, secret


def get_webhook(uow: UnitOfWork, webhook_id: str, grid_scope: str | None) -> WebhookRecord:
    """The subscription, if the caller's grid reaches it (404 otherwise)."""
    hook = uow.webhooks.get(webhook_id)
    if hook is None or (grid_scope is not None and hook.grid_id != grid_scope):
        raise NotFound(f"webhook {webhook_id} does not exist")
    return hook


def list_webhooks(
    uow: UnitOfWork, grid_scope: str | None, page: int, size: int
) -> tuple[list[dict[str, Any]], int]:
    rows, total = uow.webhooks.listing(grid_scope, page, size)
    return [view(r) for r in rows], total


def update_webhook(
    container: Stores, uow: UnitOfWork, hook: WebhookRecord, changes: dict[str, Any]
) -> WebhookRecord:
    """Change url, event types or active; a re-activated one skips what happened meanwhile."""
    _check(container, changes)
    if changes.get("active") and not hook.active:
        hook.cursor = uow.events.newest(Scope(), ())
    for name in ("url", "active"):
        if name in changes:
            setattr(hook, name, changes[name])
    if "event_types" in changes:
        hook.event_types = sorted(set(changes["event_types"]))
    hook.updated_at = utcnow()
    uow.commit()
    return hook


def delete_webhook(uow: UnitOfWork, hook: WebhookRecord) -> None:
    uow.webhooks.delete(hook)
    uow.commit()


def list_deliveries(
    uow: UnitOfWork, hook: WebhookRecord, page: int, size: int
) -> tuple[list[dict[str, Any]], int]:
    rows, total = uow.webhooks.deliveries(hook.id, page, size)
    return [delivery_view(r) for r in rows], total


def redeliver(uow: UnitOfWork, hook: WebhookRecord, delivery_id: str) -> dict[str, Any]:
    """Send a delivery again as soon as a worker passes (whatever its status)."""
    row = uow.webhooks.delivery(delivery_id)
    if row is None or row.webhook_id != hook.id:
        raise NotFound(f"delivery {delivery_id} does not exist")
    now = utcnow()
    row.status, row.next_attempt_at, row.lease_until, row.updated_at = PENDING, now, None, now
    uow.commit()
    return delivery_view(row)


# --- the delivery pass ------------------------------------------------------------------------


@dataclass
class PassReport:
    relayed: int = 0
    fanned_out: int = 0
    sent: int = 0
    succeeded: int = 0
    retrying: int = 0
    failed: int = 0


def fan_out(container: Stores) -> int:
    """Turn events after each active subscription's cursor into pending deliveries."""
    total = 0
    while True:
        with container.uow() as uow:
            now, more, rows = utcnow(), False, []
            for hook in uow.webhooks.active():
                scope = Scope(grid_id=hook.grid_id)
                page = uow.events.page(hook.cursor, scope, hook.event_types, FANOUT_BATCH)
                rows += [_delivery_row(hook.id, p, e["id"], now) for p, e in page]
                if page:
                    hook.cursor = page[-1][0]
                more = more or len(page) == FANOUT_BATCH
            uow.webhooks.add_deliveries(rows)
            uow.commit()
        total += len(rows)
        if not more:
            return total


def _delivery_row(webhook_id: str, position: int, event_id: str, now: datetime) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "webhook_id": webhook_id,
        "event_position": position,
        "event_id": event_id,
        "status": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "lease_until": None,
        "last_status_code": None,
        "last_error": None,
        "delivered_at": None,
        "created_at": now,
        "updated_at": now,
    }


@dataclass(frozen=True)
class Job:
    delivery_id: str
    url: str
    secret: str
    msg_id: str
    body: str
    attempts: int  # before this one
    created_at: datetime


def _claim(container: Stores, lease_s: float) -> list[Job]:
    """Lease due deliveries (committed before any request is sent) with what sending needs."""
    with container.uow() as uow:
        now = utcnow()
        rows = uow.webhooks.claim_due(now, now + timedelta(seconds=lease_s), CLAIM_BATCH)
        events = uow.webhooks.events_by_position([r.event_position for r in rows])
        hooks = {r.webhook_id: uow.webhooks.get(r.webhook_id) for r in rows}
        uow.commit()
    jobs = []
    for row in rows:
        hook = hooks[row.webhook_id]
        assert hook is not None  # a delivery goes with its subscription
        body = json.dumps(ev.webhook_payload(events[row.event_position]), separators=(",", ":"))
        jobs.append(
            Job(row.id, hook.url, hook.secret, row.event_id, body, row.attempts, row.created_at)
        )
    return jobs


def _outcome(job: Job, code: int | None, error: str | None, now: datetime) -> dict[str, Any]:
    """The delivery's new fields: succeeded, retry later (backoff and jitter), or failed."""
    attempts = job.attempts + 1
    changes: dict[str, Any] = {
        "id": job.delivery_id,
        "attempts": attempts,
        "last_status_code": code,
        "last_error": (error or f"answered {code}")[:500],
        "lease_until": None,
        "updated_at": now,
        "delivered_at": None,
        "status": PENDING,
        "next_attempt_at": None,
    }
    if code is not None and 200 <= code < 300:
        return {**changes, "status": SUCCEEDED, "delivered_at": now, "last_error": None}
    delay = ev.retry_delay_s(attempts)
    if ev.gives_up((now - job.created_at).total_seconds(), delay):
        return {**changes, "status": FAILED}
    return {**changes, "next_attempt_at": now + timedelta(seconds=delay)}


def _record(
    container: Stores, outcomes: Sequence[tuple[Job, int | None, str | None]], report: PassReport
) -> None:
    """Write every attempt's outcome in one transaction."""
    now = utcnow()
    rows = [_outcome(job, code, error, now) for job, code, error in outcomes]
    with container.uow() as uow:
        uow.webhooks.record_attempts(rows)
        uow.commit()
    for row in rows:
        if row["status"] == SUCCEEDED:
            report.succeeded += 1
        elif row["status"] == FAILED:
            report.failed += 1
        else:
            report.retrying += 1


def deliver_webhooks(container: Stores) -> PassReport:
    """One delivery pass (see the module docstring); what it did."""
    report = PassReport(relayed=relay_outbox(container), fanned_out=fan_out(container))
    outbound = container.outbound
    timeout = float(container.config["WEBHOOK_TIMEOUT_S"])
    workers = int(container.config["WEBHOOK_CONCURRENCY"])
    while jobs := _claim(container, lease_s=2 * timeout + 1):
        with ThreadPoolExecutor(max_workers=workers) as pool:
            results = list(
                pool.map(lambda j: outbound.post(j.url, j.secret, j.msg_id, j.body), jobs)
            )
        _record(container, [(j, c, e) for j, (c, e) in zip(jobs, results, strict=True)], report)
        report.sent += len(jobs)
        if len(jobs) < CLAIM_BATCH:
            break
    return report


@task(DELIVER_TASK, every_s=PASS_EVERY_S)
def delivery_pass(container: Stores) -> dict[str, int]:
    """A worker's delivery pass (periodic); what it did."""
    return asdict(deliver_webhooks(container))
