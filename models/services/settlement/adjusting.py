"""Adjustments in settlement: which corrections a run takes, and the statements they change.

A run of a month takes the applied corrections of that month (they become part of it) and of
every month that has a run of its own (its root never changes, so they are settled now); an
adjustments-only period `YYYY-MM.N` takes only the latter. A correction is taken once: the run
claims it (`settled_in`) before the run is recorded, and a recorded run keeps the list it was
recorded with, so a resumed run plans the same root. Each statement's amount, and so its leaf,
is the month's total plus its adjustments; the item lists them (`adjustments`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from models.domain.adjustments import adjustments_period, split_period, takes
from models.domain.adjustments import with_adjustments as add_adjustments
from models.domain.corrections import month_of
from models.domain.merkle import merkle_root
from models.domain.statements import build_statements, statement_leaves
from models.domain.trades import RESERVED_PARTIES
from models.ports import Stores
from models.services.clock import aware_utc, utcnow
from models.services.correction_reads import ADJUSTMENTS
from models.services.errors import Conflict, Unprocessable
from models.services.registry import get_grid
from models.services.settlement.plan import Plan, month_range, plan_month, wei_rate
from models.services.settlement.run import SETTLEMENTS, run_key


def plan_period(container: Stores, grid_id: str, period: str) -> Plan:
    """The plan of a month (its trades and the adjustments it takes) or of an adjustments-only
    period (only adjustments); no writes."""
    try:
        month, sequence = split_period(period)
    except ValueError as exc:
        raise Unprocessable(str(exc), errors={"month": [str(exc)]}) from exc
    if sequence:
        base = _empty_plan(container, grid_id, period, month)
    else:
        base = plan_month(container, grid_id, month)
    recorded = container.documents.collection(SETTLEMENTS).get(run_key(grid_id, period))
    taken = _taken(container, grid_id, period, recorded)
    if sequence and not taken:
        raise Conflict(f"no adjustments are waiting to be settled in {period}")
    return with_adjustments(container, base, taken) if taken else base


def _empty_plan(container: Stores, grid_id: str, period: str, month: str) -> Plan:
    with container.uow(write=False) as uow:
        grid = get_grid(uow, grid_id)
        start, end = month_range(grid, month)
        rate = wei_rate(grid.wei_per_minor_unit)
    return Plan(grid_id, period, start, end, [], merkle_root([]), rate)


def _taken(
    container: Stores, grid_id: str, period: str, recorded: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """The adjustment documents the run takes: as recorded, or those it may take now."""
    store = container.documents.collection(ADJUSTMENTS)
    if recorded is not None:
        return [store.get(cid) or _missing(cid) for cid in recorded.get("corrections", [])]
    mine = run_key(grid_id, period)
    candidates = store.find({"grid_id": grid_id, "settled_in": None}) + store.find(
        {"grid_id": grid_id, "settled_in": mine}
    )
    runs = container.documents.collection(SETTLEMENTS)
    has_run = {d["month"]: runs.get(run_key(grid_id, d["month"])) is not None for d in candidates}
    picked = [d for d in candidates if takes(period, d["month"], has_run[d["month"]])]
    with container.uow(write=False) as uow:
        applied = uow.corrections.applied_ids(grid_id, [d["_id"] for d in picked])
    chosen = [d for d in picked if d["_id"] in applied]
    return sorted(chosen, key=lambda d: (d["timeframe_start"], d["version"]))


def _missing(correction_id: str) -> dict[str, Any]:
    raise Conflict(f"the adjustments of correction {correction_id} are missing from the store")


def with_adjustments(container: Stores, base: Plan, taken: list[dict[str, Any]]) -> Plan:
    """`base` with each prosumer's adjustments added to its statement (new statements for
    prosumers with adjustments only), the root recomputed."""
    amounts = {st.prosumer_id: st.amount_minor for st in base.statements}
    with container.uow(write=False) as uow:
        wallets = uow.registry.wallets(base.grid_id)
    try:
        total, entries = add_adjustments(amounts, taken, RESERVED_PARTIES)
        sums = {pid: {"received_minor": a, "paid_minor": 0} for pid, a in total.items()}
        statements = build_statements(base.grid_id, base.month, sums, wallets)
    except ValueError as exc:
        raise Conflict(str(exc)) from exc
    root = merkle_root(statement_leaves(statements))
    ids = tuple(doc["_id"] for doc in taken)
    return replace(base, statements=statements, root=root, corrections=ids, adjustments=entries)


def claim_corrections(container: Stores, run_id: str, plan: Plan) -> None:
    """Mark the plan's corrections as taken by this run, before the run is recorded; 409 if
    another run took one meanwhile (planning again leaves it out)."""
    store = container.documents.collection(ADJUSTMENTS)
    for cid in plan.corrections:
        if store.update(cid, {"settled_in": run_id}, expect={"settled_in": None}):
            continue
        owner = (store.get(cid) or {}).get("settled_in")
        if owner != run_id:
            raise Conflict(f"correction {cid} was taken by settlement {owner} meanwhile; run again")


def next_adjustments_period(container: Stores, grid_id: str, month: str | None) -> str | None:
    """The adjustments-only period to settle now: an unfinished one of the month, else the
    month's next number if adjustments wait (`month` defaults to the current month in the
    grid's zone); None when there is nothing to settle."""
    with container.uow(write=False) as uow:
        grid = get_grid(uow, grid_id)
    month = month or month_of(aware_utc(utcnow()), grid.timezone)
    runs = container.documents.collection(SETTLEMENTS).find({"grid_id": grid_id})
    numbers = {}
    for run in runs:
        run_month, sequence = split_period(run["month"])
        if run_month == month and sequence:
            numbers[sequence] = run["status"]
    unfinished = [n for n, status in sorted(numbers.items()) if status != "settled"]
    if unfinished:
        return adjustments_period(month, unfinished[0])
    period = adjustments_period(month, max(numbers, default=0) + 1)
    return period if _taken(container, grid_id, period, None) else None
