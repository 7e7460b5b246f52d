"""After a redeploy (chain reset) a settled month is unverifiable and is never paid again."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from models.services.clock import utcnow
from models.services.errors import Conflict
from models.services.settlement.ledger_status import deploy_contract, recorded_contract
from models.services.settlement.run import TXS
from models.services.settlement.settle import settle_month
from models.sql.tables import Deployment
from tests.conftest import make_key
from tests.settlement.world import MONTH


def balances(chain: Any, accounts: list[Any]) -> list[int]:
    return [chain.balance(a.address) for a in accounts]


def test_after_redeploy_the_run_is_unverifiable_and_not_paid_again(
    app, client, admin, container, world, accounts
) -> None:
    settle_month(container, world.grid_id, MONTH)
    old = recorded_contract(container)
    new = deploy_contract(container)
    assert new != old and recorded_contract(container) == new
    run_url = f"/api/v1/grids/{world.grid_id}/settlements/{MONTH}"
    status = client.get(run_url, headers=admin).json
    assert status["status"] == "unverifiable" and status["verifiable"] is False
    assert status["contract"] == old
    statement = client.get(
        f"/api/v1/prosumers/{world.prosumers[0]}/statements/{MONTH}", headers=admin
    ).json
    assert statement["verifiable"] is False and statement["contract"] == old
    assert statement["on_chain"] == {"root_posted": False, "root_matches": False, "settled": False}
    debtor = next(line for line in status["lines"] if line["kind"] == "debit")
    owner = make_key(app, role="prosumer", prosumer_id=debtor["prosumer_id"])
    payment = client.get(
        f"/api/v1/prosumers/{debtor['prosumer_id']}/statements/{MONTH}/payment", headers=owner
    )
    assert payment.status_code == 409 and "unverifiable" in payment.json["detail"]
    chain, before = container.chain, balances(container.chain, accounts)
    sent_before = container.documents.collection(TXS).count()
    with pytest.raises(Conflict, match="unverifiable and will not be paid again"):
        settle_month(container, world.grid_id, MONTH)
    again = client.post(
        f"/api/v1/grids/{world.grid_id}/settlements", json={"month": MONTH}, headers=admin
    )
    assert again.status_code == 409, again.json
    assert "will not be paid again" in again.json["detail"]
    assert balances(chain, accounts) == before
    assert container.documents.collection(TXS).count() == sent_before
    period = bytes.fromhex(status["period_id"][2:])
    assert not chain.period_state(new, period)["posted"]


def test_readiness_names_a_recorded_contract_without_code(app, client, container) -> None:
    assert client.get("/health/ready").status_code == 200
    ghost = Account.create().address
    with container.uow() as uow:
        uow.registry.add(
            Deployment(chain_id=container.chain.chain_id, address=ghost, deployed_at=utcnow())
        )
        uow.commit()
    ready = client.get("/health/ready")
    assert ready.status_code == 503
    assert f"contract missing at {ghost}" in ready.json["detail"]
    assert "flask ledger deploy" in ready.json["checks"]["chain"]
