"""Data partners: registered per grid, paying datapoints for what they read."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from models.ports import PartnerRecord, Stores, UnitOfWork
from models.services.clock import utcnow
from models.services.errors import Conflict, Forbidden, PaymentRequired, found
from models.services.registry import get_grid

MAX_DATAPOINTS = 10**12  # a partner's balance stays below this (sums stay exact)
T = TypeVar("T")


def list_partners(
    uow: UnitOfWork, grid_id: str, page: int, size: int
) -> tuple[Sequence[PartnerRecord], int]:
    """One page of a grid's partners, oldest first, and how many there are; 404 for no grid."""
    get_grid(uow, grid_id)
    return uow.registry.partners(grid_id, page, size)


def create_partner(uow: UnitOfWork, grid_id: str, data: dict[str, Any]) -> PartnerRecord:
    """Register a data partner of an existing grid."""
    get_grid(uow, grid_id)
    now = utcnow()
    partner = uow.registry.add_partner(
        id=str(uuid.uuid4()), grid_id=grid_id, created_at=now, updated_at=now, **data
    )
    uow.commit()
    return partner


def get_partner(uow: UnitOfWork, partner_id: str) -> PartnerRecord:
    return found(uow.registry.partner(partner_id), "partner", partner_id)


def top_up(uow: UnitOfWork, partner: PartnerRecord, amount: int) -> PartnerRecord:
    """Add datapoints to a partner's balance; 409 above the maximum balance."""
    if not uow.registry.credit_datapoints(partner.id, amount, MAX_DATAPOINTS, utcnow()):
        raise Conflict(
            f"the balance may not exceed {MAX_DATAPOINTS} datapoints",
            errors={"datapoints": [f"at most {MAX_DATAPOINTS} - the current balance"]},
        )
    uow.commit()
    return partner


def serve_billed(
    stores: Stores, partner_id: str | None, cost: int, trust: int, serve: Callable[[], T]
) -> T:
    """Serve a partner's request: it needs `trust` and pays `cost` datapoints once served."""
    with stores.uow(write=False) as uow:
        partner = uow.registry.partner(partner_id or "")
        if partner is None:
            raise Forbidden("this partner no longer exists")
        if partner.trust_level < trust:
            raise Forbidden(f"needs trust level {trust}; this partner has {partner.trust_level}")
        if partner.datapoints < cost:
            raise PaymentRequired(f"costs {cost} datapoints; {partner.datapoints} left")
    result = serve()
    with stores.uow() as uow:
        if not uow.registry.debit_datapoints(partner.id, cost):
            raise PaymentRequired(f"costs {cost} datapoints; not enough left")
        uow.commit()
    return result
