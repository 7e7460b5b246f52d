"""Webhooks: CRUD, Standard Webhooks signatures on a real receiver, retries, outbound safety."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import pytest
from standardwebhooks.webhooks import Webhook

from models.domain import events as ev
from models.services.events import record_event
from models.services.webhooks import deliver_webhooks
from tests.conftest import GRID, make_key
from tests.events.receiver import receiver

HOOKS = "/api/v1/webhooks"


@pytest.fixture
def stores(app: Any) -> Any:
    """The container, allowed to deliver to loopback, with a 1 s bound per attempt."""
    container = app.extensions["minigrid"]
    container.config.update(WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8,::1/128", WEBHOOK_TIMEOUT_S=1.0)
    return container


def _subscribe(client: Any, headers: dict[str, str], url: str, **extra: Any) -> dict[str, Any]:
    response = client.post(HOOKS, json={"url": url, **extra}, headers=headers)
    assert response.status_code == 201, response.json
    return response.json


def _event(stores: Any, grid_id: str, type_: str = ev.TIMEFRAME_CLOSED) -> dict[str, Any]:
    with stores.uow() as uow:
        evt = record_event(uow, type_, grid_id, {"start": "2026-10-05T10:00:00Z"})
        uow.commit()
    return evt


def _deliveries(client: Any, headers: dict[str, str], hook_id: str) -> list[dict[str, Any]]:
    response = client.get(f"{HOOKS}/{hook_id}/deliveries", headers=headers)
    assert response.status_code == 200, response.json
    return response.json


def test_crud_shows_the_secret_once_and_needs_if_match(client, admin, grid, stores) -> None:
    hook = _subscribe(client, admin, "https://example.com/in", event_types=["timeframe.closed"])
    assert hook["secret"].startswith("whsec_") and hook["active"] is True
    got = client.get(f"{HOOKS}/{hook['id']}", headers=admin)
    assert got.status_code == 200 and "secret" not in got.json
    url = f"{HOOKS}/{hook['id']}"
    assert client.patch(url, json={"active": False}, headers=admin).status_code == 428
    etag = {**admin, "If-Match": got.headers["ETag"]}
    changed = client.patch(url, json={"active": False, "event_types": []}, headers=etag)
    assert changed.status_code == 200 and changed.json["active"] is False
    assert client.patch(url, json={"active": True}, headers=etag).status_code == 412
    assert [h["id"] for h in client.get(HOOKS, headers=admin).json] == [hook["id"]]
    etag = {**admin, "If-Match": changed.headers["ETag"]}
    assert client.delete(url, headers=etag).status_code == 204
    assert client.get(url, headers=admin).status_code == 404


def test_operators_see_their_grids_webhooks_prosumers_none(app, client, admin, grid) -> None:
    operator = make_key(app, role="operator", grid_id=grid["id"])
    hook = _subscribe(client, operator, "https://example.com/in")
    assert hook["grid_id"] == grid["id"]
    other = client.post("/api/v1/grids", json={**GRID, "name": "b"}, headers=admin)
    stranger = make_key(app, role="operator", grid_id=other.json["id"])
    assert client.get(f"{HOOKS}/{hook['id']}", headers=stranger).status_code == 404
    assert client.get(HOOKS, headers=stranger).json == []
    body = {"url": "https://example.com/x", "grid_id": grid["id"]}
    assert client.post(HOOKS, json=body, headers=stranger).status_code == 403


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("ftp://example.com/x", 400),
        ("http://127.0.0.1:9/x", 422),
        ("http://localhost/x", 422),
        ("http://10.1.2.3/x", 422),
        ("http://169.254.169.254/latest/meta-data", 422),
        ("http://[::1]/x", 400),
        ("http://[::ffff:127.0.0.1]/x", 400),
        ("https://user:pw@example.com/x", 400),
        ("http://example.com:99999/x", 422),
    ],
)
def test_unsafe_urls_are_refused(client, admin, url, status) -> None:
    response = client.post(HOOKS, json={"url": url}, headers=admin)
    assert response.status_code == status, response.json


def test_a_delivery_is_signed_per_standard_webhooks(client, admin, grid, stores) -> None:
    with receiver() as recv:
        hook = _subscribe(client, admin, recv.url, event_types=["timeframe.closed"])
        evt = _event(stores, grid["id"])
        _event(stores, grid["id"], ev.SETTLEMENT_POSTED)  # not subscribed
        report = deliver_webhooks(stores)
        assert (report.fanned_out, report.succeeded) == (1, 1)
        ((headers, body),) = recv.requests
    payload = Webhook(hook["secret"]).verify(body, headers)
    assert headers["webhook-id"] == evt["id"]
    assert payload["type"] == "timeframe.closed" and payload["data"]["grid_id"] == grid["id"]
    with pytest.raises(Exception, match="signature"):
        Webhook(hook["secret"]).verify(body.replace(b"10:00", b"11:00"), headers)
    (row,) = _deliveries(client, admin, hook["id"])
    assert row["status"] == "succeeded" and row["attempts"] == 1 and row["last_status_code"] == 204


def test_failures_back_off_with_jitter_then_redeliver_succeeds(client, admin, grid, stores) -> None:
    with receiver() as recv:
        recv.answers = [500, 302]
        hook = _subscribe(client, admin, recv.url)
        _event(stores, grid["id"])
        deliver_webhooks(stores)
        (row,) = _deliveries(client, admin, hook["id"])
        assert row["status"] == "pending" and row["attempts"] == 1
        assert row["last_status_code"] == 500 and row["next_attempt_at"] > row["updated_at"]
        assert deliver_webhooks(stores).sent == 0  # not due yet
        url = f"{HOOKS}/{hook['id']}/deliveries/{row['id']}/redeliver"
        assert client.post(url, headers=admin).status_code == 202
        deliver_webhooks(stores)  # the 302 is an answer, never followed
        (row,) = _deliveries(client, admin, hook["id"])
        assert row["last_status_code"] == 302 and row["attempts"] == 2 and len(recv.requests) == 2
        client.post(url, headers=admin)
        deliver_webhooks(stores)
        (row,) = _deliveries(client, admin, hook["id"])
        assert row["status"] == "succeeded" and row["attempts"] == 3
        ids = {h["webhook-id"] for h, _ in recv.requests}
        assert len(ids) == 1 and len(recv.requests) == 3  # the same message id on every try


def test_the_backoff_grows_and_stops_after_a_day() -> None:
    caps = [ev.retry_delay_s(n) for n in range(1, 12)]
    assert all(2.5 <= caps[0] <= 5 for _ in range(1)) and caps[-1] <= ev.MAX_DELAY_S
    assert sorted(ev.retry_delay_s(3) for _ in range(50)) != [ev.retry_delay_s(3)] * 50  # jitter
    assert ev.gives_up(23.9 * 3600, 600) and not ev.gives_up(3600, 600)


def test_a_delivery_failing_for_a_day_is_marked_failed(client, admin, grid, stores) -> None:
    with receiver() as recv:
        recv.answers = [503]
        hook = _subscribe(client, admin, recv.url)
        _event(stores, grid["id"])
        from models.services.webhooks import fan_out

        fan_out(stores)
        with stores.uow() as uow:
            (row,), _ = uow.webhooks.deliveries(hook["id"], 1, 10)
            row.created_at -= timedelta(hours=24)
            uow.commit()
        assert deliver_webhooks(stores).failed == 1
    (row,) = _deliveries(client, admin, hook["id"])
    assert row["status"] == "failed" and row["next_attempt_at"] is None


def test_a_silent_subscriber_cannot_hold_the_worker(client, admin, grid, stores) -> None:
    with receiver() as recv:
        recv.hold = threading.Event()  # reads the request, never answers
        hook = _subscribe(client, admin, recv.url)
        _event(stores, grid["id"])
        began = time.monotonic()
        report = deliver_webhooks(stores)
        took = time.monotonic() - began
        recv.hold.set()
    assert report.retrying == 1 and took < 5
    (row,) = _deliveries(client, admin, hook["id"])
    assert "timed out" in row["last_error"] and row["last_status_code"] is None


def test_a_name_resolving_to_loopback_is_refused_at_delivery(client, admin, grid, stores) -> None:
    with receiver() as recv:
        hook = _subscribe(client, admin, recv.url.replace("127.0.0.1", "localhost"))
        stores.config["WEBHOOK_ALLOWED_NETWORKS"] = ""  # loopback no longer allowed
        _event(stores, grid["id"])
        deliver_webhooks(stores)
        assert recv.requests == []
    (row,) = _deliveries(client, admin, hook["id"])
    assert row["status"] == "pending" and "refused" in row["last_error"]


def test_deleting_a_webhook_drops_its_deliveries(client, admin, grid, stores) -> None:
    hook = _subscribe(client, admin, "https://example.com/in")
    _event(stores, grid["id"])
    from models.services.webhooks import fan_out

    assert fan_out(stores) == 1
    etag = client.get(f"{HOOKS}/{hook['id']}", headers=admin).headers["ETag"]
    assert (
        client.delete(f"{HOOKS}/{hook['id']}", headers={**admin, "If-Match": etag}).status_code
        == 204
    )
    assert json.loads(json.dumps(client.get(HOOKS, headers=admin).json)) == []


def test_the_adapter_refuses_mapped_and_private_addresses_unless_allowed() -> None:
    from models.outbound.webhooks import HttpOutbound
    from models.ports import WebhookRefused

    strict, loose = HttpOutbound(1.0), HttpOutbound(1.0, "127.0.0.0/8")
    for url in ("http://[::ffff:127.0.0.1]/", "http://192.168.1.1/", "http://[fe80::1]/"):
        with pytest.raises(WebhookRefused):
            strict.check_url(url)
    loose.check_url("http://127.0.0.1:8/x")
    with pytest.raises(WebhookRefused):
        loose.check_url("http://10.0.0.1/")
    code, error = strict.post("http://localhost:9/x", "whsec_" + "A" * 32, "m1", "{}")
    assert code is None and error is not None and error.startswith("refused")
