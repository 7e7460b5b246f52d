"""Settlement faults on the in-memory Ledger (milliseconds; the anvil tests are the real proof).

Each test scripts the fake node (a held receipt, a revert, a taken nonce, a crash before a
broadcast, a chain reset) and checks the money: every credit paid exactly once, nothing marked
paid that the chain did not pay.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from models.domain import settlement_state as st
from models.domain.merkle import merkle_root
from models.domain.statements import Statement, statement_leaves
from models.services.errors import Conflict, Unavailable
from models.services.settlement.ledger_status import deploy_contract
from models.services.settlement.payments import submit_payment
from models.services.settlement.plan import Plan
from models.services.settlement.queries import payment_instructions, prosumer_statement, run_status
from models.services.settlement.run import ITEMS, SETTLEMENTS, TXS
from models.services.settlement.settle import SettlementFailed, open_run, resume_run
from tests.fakes.ledger import Crashed, FakeLedger

MONTH, WEI = "2026-10", 10**13
AMOUNTS = [1200, -700, 0, 300, -800, 500, 200, -700]  # balances: sum 0
ACCOUNTS = ["0x" + f"{n + 1:040x}" for n in range(len(AMOUNTS))]


@pytest.fixture
def engine_name() -> str:
    return "sqlite"  # the stores are not what these tests are about


@pytest.fixture
def ledger(app: Any) -> Iterator[FakeLedger]:
    """The app's container settling through a fresh fake, the contract deployed."""
    fake = FakeLedger()
    container = app.extensions["minigrid"]
    container.use_ledger(fake)
    deploy_contract(container)
    yield fake


@pytest.fixture
def container(app: Any, ledger: FakeLedger) -> Any:
    return app.extensions["minigrid"]


def a_plan(grid_id: str | None = None) -> Plan:
    """A month's plan of eight statements (credits, debits, a zero), built directly."""
    grid_id = grid_id or str(uuid.uuid4())
    statements = [
        Statement(grid_id, MONTH, i, f"p{i}", ACCOUNTS[i], amount)
        for i, amount in enumerate(AMOUNTS)
    ]
    root = merkle_root(statement_leaves(statements))
    start, end = datetime(2026, 10, 1, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)
    return Plan(grid_id, MONTH, start, end, statements, root, WEI)


def settle(container: Any, plan: Plan, batch_size: int = 2) -> Any:
    return resume_run(open_run(container, plan, batch_size))


def credits(plan: Plan) -> dict[str, int]:
    return {s.account.lower(): plan.wei(s) for s in plan.statements if s.amount_minor > 0}


def assert_paid_once(container: Any, ledger: FakeLedger, plan: Plan) -> None:
    """Every credit arrived exactly once, is confirmed, and names a mined tx."""
    assert dict(ledger.balances) == credits(plan)
    items = container.documents.collection(ITEMS).find({"run": f"{plan.grid_id}:{MONTH}"})
    for item in items:
        if item["kind"] == st.CREDIT:
            assert item["status"] == st.CONFIRMED, item
            assert item["tx_hash"] is None or ledger.receipt_or_none(item["tx_hash"]), item


def test_a_lost_receipt_is_found_on_rerun_and_nothing_is_sent_twice(container, ledger) -> None:
    plan = a_plan()
    ledger.hold(1, op="pay_credits")  # the first batch is broadcast, its receipt is lost
    with pytest.raises(Unavailable, match="interrupted"):
        settle(container, plan)
    (lost,) = container.documents.collection(TXS).find({"status": st.SENT})
    assert lost["kind"] == "batch" and ledger.receipt_or_none(lost["tx_hash"]) is None
    ledger.mine_held()  # the receipt turns up
    summary = settle(container, plan)
    assert summary.status == st.SETTLED
    assert container.documents.collection(TXS).get(lost["_id"])["status"] == st.CONFIRMED
    assert_paid_once(container, ledger, plan)
    assert settle(container, plan).sent_now == 0


def test_a_taken_nonce_lets_the_bitmap_decide(container, ledger) -> None:
    plan = a_plan()
    ledger.crash_on_send(3)  # root, batch 0, then killed before batch 1 reaches the node
    with pytest.raises(Crashed):
        settle(container, plan)
    txs = container.documents.collection(TXS)
    (lost,) = txs.find({"status": st.SENT})
    ledger.take_nonce(lost["nonce"])  # another operator tx takes it
    summary = settle(container, plan)
    assert summary.status == st.SETTLED
    assert txs.get(lost["_id"])["status"] == st.FAILED
    assert "nonce used by another transaction" in txs.get(lost["_id"])["error"]
    assert_paid_once(container, ledger, plan)


def test_a_revert_fails_the_run_marks_nothing_paid_and_a_rerun_pays(container, ledger) -> None:
    plan = a_plan()
    ledger.revert_next("value != sum of amounts", op="pay_credits")
    with pytest.raises(SettlementFailed, match="value != sum of amounts"):
        settle(container, plan)
    run_id = f"{plan.grid_id}:{MONTH}"
    assert container.documents.collection(SETTLEMENTS).get(run_id)["status"] == st.FAILED
    items = container.documents.collection(ITEMS).find({"run": run_id, "kind": st.CREDIT})
    assert {i["status"] for i in items} == {st.PLANNED} and not ledger.balances
    (failed,) = container.documents.collection(TXS).find({"status": st.FAILED})
    assert failed["kind"] == "batch" and "value != sum" in failed["error"]
    assert settle(container, plan).status == st.SETTLED  # failed -> posting: the re-run pays
    assert_paid_once(container, ledger, plan)


def test_after_a_chain_reset_a_settled_month_is_unverifiable_and_not_paid_again(
    container, ledger
) -> None:
    plan = a_plan()
    settle(container, plan)
    ledger.reset()  # the node lost everything, the money included
    deploy_contract(container)
    assert run_status(container, plan.grid_id, MONTH, 0, 10)["status"] == st.UNVERIFIABLE
    sent = len(ledger.sent)
    with pytest.raises(Conflict, match="unverifiable and will not be paid again"):
        settle(container, plan)
    assert len(ledger.sent) == sent and not ledger.balances


def test_a_status_get_shows_a_debit_paid_on_chain_without_writing_it(container, ledger) -> None:
    plan = a_plan()
    settle(container, plan)
    run_id = f"{plan.grid_id}:{MONTH}"
    period = (ledger.code.copy().pop(), "0x" + plan.period_id.hex())
    ledger.periods[period].bits.add(1)  # the debtor of line 1 paid pay_debit on chain
    status = run_status(container, plan.grid_id, MONTH, 0, 10)
    assert status["lines"][1]["status"] == st.PAID and status["totals"]["debits_paid"] == 1
    items = container.documents.collection(ITEMS)
    assert items.get(f"{run_id}:000001")["status"] == st.DUE  # the GET wrote nothing
    summary = settle(container, plan)  # the command (flask settle) records it
    assert summary.sent_now == 0 and items.get(f"{run_id}:000001")["status"] == st.PAID


def test_a_payment_against_a_paid_line_is_an_illegal_transition_and_refused(
    container, ledger
) -> None:
    """The store says paid, the chain does not (it was reset under the same address): the
    service refuses to move the line back to pending rather than writing it."""
    plan = a_plan()
    settle(container, plan)
    run_id, items = f"{plan.grid_id}:{MONTH}", container.documents.collection(ITEMS)
    items.update(f"{run_id}:000001", {"status": st.PAID})
    prosumer = type("P", (), {"id": "p1"})()
    grid = type("G", (), {"id": plan.grid_id})()
    call = payment_instructions(container, prosumer, grid, MONTH)
    raw = json.dumps({"data": call["data"], "nonce": 0})
    with pytest.raises(Conflict, match="a debit cannot go from paid to pending"):
        submit_payment(container, prosumer, grid, MONTH, raw)
    assert items.get(f"{run_id}:000001")["status"] == st.PAID and raw not in ledger.sent


def test_a_run_refuses_an_illegal_status_change_and_writes_nothing(container, ledger) -> None:
    plan = a_plan()
    settle(container, plan)
    run = open_run(container, plan, 2)
    with pytest.raises(st.IllegalTransition, match="a run cannot go from settled to posting"):
        run.set_run(status=st.POSTING)
    credit = next(i for i, d in run.items.items() if d["kind"] == st.CREDIT)
    with pytest.raises(st.IllegalTransition, match="a credit cannot go from confirmed to planned"):
        run.set_items([credit, 1], status=st.PLANNED)
    runs, items = container.documents.collection(SETTLEMENTS), container.documents.collection(ITEMS)
    assert runs.get(run.id)["status"] == st.SETTLED
    assert items.get(f"{run.id}:{credit:06d}")["status"] == st.CONFIRMED


def test_proofs_are_stored_when_the_run_is_recorded_and_read_back(container, ledger) -> None:
    plan = a_plan()
    settle(container, plan)
    run_id, items = f"{plan.grid_id}:{MONTH}", container.documents.collection(ITEMS)
    grid = SimpleNamespace(id=plan.grid_id, timezone="UTC")
    statement = prosumer_statement(container, SimpleNamespace(id="p3"), grid, MONTH)
    assert statement["proof"] == items.get(f"{run_id}:000003")["proof"]
    assert statement["proof_valid"] and statement["on_chain"]["settled"]
    items.update(f"{run_id}:000003", {"proof": list(reversed(statement["proof"]))})
    tampered = prosumer_statement(container, SimpleNamespace(id="p3"), grid, MONTH)
    assert tampered["proof_valid"] is False  # the GET reads the stored proof, not a recomputed one
