"""The transactional outbox: a change always has its event, a failed change has none."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from ledger.chain import Chain
from models.domain import events as ev
from models.services import closing, metering
from models.services import registry as reg
from models.services.events import relay_outbox
from models.services.settlement.run import ITEMS, SETTLEMENTS
from models.services.settlement.settle import SettlementFailed, settle_month
from tests.events.conftest import all_events, of_type
from tests.settlement.world import MONTH, refusing_world

pytestmark = pytest.mark.usefixtures("engine_name")


def test_every_closed_timeframe_has_exactly_one_event(container, world) -> None:
    with container.uow(write=False) as uow:
        start, end = datetime(2026, 10, 1), datetime(2026, 11, 1)
        closed = uow.registry.timeframes_with_status(world.grid_id, "closed", start, end)
    events = of_type(container, ev.TIMEFRAME_CLOSED)
    assert len(closed) == 31 == len(events)
    assert [e["data"]["start"] for e in events] == [
        t.replace(tzinfo=UTC).strftime("%Y-%m-%dT%H:%M:%SZ") for t in sorted(closed)
    ]
    first = events[0]
    assert first["grid_id"] == world.grid_id and first["prosumer_id"] is None
    assert first["data"]["totals"]["production_wh"] == 5000 + 0 + 4000 + 200 + 1000
    closing.close_timeframe(container, world.grid_id, datetime(2026, 10, 1, tzinfo=UTC))
    assert len(of_type(container, ev.TIMEFRAME_CLOSED)) == 31  # closing again reports nothing


def test_a_close_that_fails_to_commit_writes_no_event(container, world, monkeypatch) -> None:
    with container.uow() as uow:
        grid = reg.get_grid(uow, world.grid_id)
        at = datetime(2026, 11, 2, tzinfo=UTC)
        metering.upsert_readings(
            uow, grid, at, [{"prosumer_id": world.prosumers[0], "produced_wh": 5, "consumed_wh": 1}]
        )
    real = closing.record_event

    def record_then_fail(uow: Any, *args: Any, **kwargs: Any) -> Any:
        real(uow, *args, **kwargs)
        raise RuntimeError("the store went away before commit")

    monkeypatch.setattr(closing, "record_event", record_then_fail)
    with pytest.raises(RuntimeError):
        closing.close_timeframe(container, world.grid_id, at)
    assert len(of_type(container, ev.TIMEFRAME_CLOSED)) == 31
    with container.uow(write=False) as uow:
        assert uow.registry.timeframe(world.grid_id, at.replace(tzinfo=None)).status == "closing"
    monkeypatch.setattr(closing, "record_event", real)
    closing.close_timeframe(container, world.grid_id, at)  # the resumed close reports it once
    assert of_type(container, ev.TIMEFRAME_CLOSED)[-1]["data"]["start"] == "2026-11-02T00:00:00Z"


def test_a_settlement_reports_its_root_and_every_credit(container, world) -> None:
    settle_month(container, world.grid_id, MONTH, batch_size=2)
    run_id = f"{world.grid_id}:{MONTH}"
    items = container.documents.collection(ITEMS).find({"run": run_id})
    credits = {i["prosumer_id"] for i in items if i["kind"] == "credit"}
    paid = of_type(container, ev.CREDIT_PAID)
    assert {e["prosumer_id"] for e in paid} == credits and len(paid) == len(credits)
    assert sum(e["data"]["amount_minor"] for e in paid) == sum(
        i["amount_minor"] for i in items if i["kind"] == "credit"
    )
    (posted,) = of_type(container, ev.SETTLEMENT_POSTED)
    run = container.documents.collection(SETTLEMENTS).get(run_id)
    assert posted["data"]["root"] == run["root"] and posted["prosumer_id"] is None
    assert container.documents.outbox.pending(10) == []  # relayed right after the run
    settle_month(container, world.grid_id, MONTH)
    assert len(all_events(container)) == 31 + 1 + len(credits)  # a re-run reports nothing new


def test_a_deferred_credit_is_reported_as_deferred(container, accounts) -> None:
    world, refuser = refusing_world(container, accounts)
    settle_month(container, world.grid_id, MONTH, batch_size=500)
    (deferred,) = of_type(container, ev.CREDIT_DEFERRED)
    assert deferred["data"]["account"] == refuser
    assert deferred["prosumer_id"] == world.prosumers[0]
    assert world.prosumers[0] not in {e["prosumer_id"] for e in of_type(container, ev.CREDIT_PAID)}


def test_a_reverted_settlement_reports_failed_and_no_payment(container, world, monkeypatch) -> None:
    original = Chain.build_and_sign

    def wrong_value(self, fn_call, value, nonce, gas=None):
        return original(self, fn_call, value + 1 if value else 0, nonce, 3_000_000)

    monkeypatch.setattr(Chain, "build_and_sign", wrong_value)
    with pytest.raises(SettlementFailed):
        settle_month(container, world.grid_id, MONTH, batch_size=500)
    (failed,) = of_type(container, ev.SETTLEMENT_FAILED)
    assert "value != sum of amounts" in failed["data"]["error"]
    assert of_type(container, ev.CREDIT_PAID) == []


def test_events_wait_in_the_document_outbox_until_relayed(container, world) -> None:
    items = container.documents.collection("probe")
    evt = ev.event("probe:1", ev.SETTLEMENT_FAILED, world.grid_id, "2026-10-01T00:00:00Z", {})
    items.put("k", {"status": "failed"}, [evt])
    assert [e["id"] for e in container.documents.outbox.pending(10)] == ["probe:1"]
    assert relay_outbox(container) == 1 and relay_outbox(container) == 0
    assert of_type(container, ev.SETTLEMENT_FAILED)[0]["id"] == "probe:1"
    assert container.documents.outbox.pending(10) == []
