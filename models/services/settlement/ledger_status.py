"""The settlement contract of the connected chain: deploy it, find it, check it is there."""

from __future__ import annotations

from typing import Any

from models.ports import LedgerError, Stores
from models.services.clock import utcnow
from models.services.errors import Unavailable

NOT_DEPLOYED = "no contract deployed; run `flask ledger deploy`"


def recorded_contract(container: Stores) -> str | None:
    """The address recorded for the connected chain id, or None."""
    chain_id = container.chain.chain_id
    with container.uow(write=False) as uow:
        row = uow.registry.deployment(chain_id)
        return None if row is None else row.address


def require_contract(container: Stores) -> str:
    """The recorded contract address; Unavailable if none is recorded or its code is gone."""
    try:
        address = recorded_contract(container)
        if address is None:
            raise Unavailable(NOT_DEPLOYED)
        if not container.chain.has_code(address):
            raise Unavailable(
                f"contract missing at {address}: the chain was reset; run `flask ledger deploy`"
            )
    except LedgerError as exc:
        raise Unavailable(f"chain unavailable: {exc}") from exc
    return address


def chain_ready(container: Stores) -> None:
    """Readiness probe: the node answers and the recorded contract has code."""
    container.chain.ping()
    require_contract(container)


def deploy_contract(container: Stores) -> str:
    """Deploy Settlement with the operator key and record it for this chain id."""
    chain = container.chain
    address = chain.deploy()
    with container.uow() as uow:
        uow.registry.add_deployment(chain.chain_id, address, utcnow())
        uow.commit()
    return str(address)


def ledger_status(container: Stores) -> dict[str, Any]:
    """Chain id, operator, recorded contract and whether its code exists."""
    chain = container.chain
    address = recorded_contract(container)
    return {
        "chain_id": chain.chain_id,
        "block": chain.ping(),
        "operator": chain.operator,
        "operator_balance_wei": chain.balance(chain.operator),
        "contract": address,
        "code": address is not None and chain.has_code(address),
    }
