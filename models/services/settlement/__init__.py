"""Monthly settlement on the chain, as one unit.

Phases of a run (grid, month), each recorded before its side effect and resumable:
    plan      (`plan`)     closed month -> statements, leaves, Merkle root, proofs, wei amounts
    record    (`settle`)   the run and its items in the transaction store (status `planned`)
    post      (`txs`)      the root, once (`posting`)
    pay       (`txs`)      credits in batches, one signed tx per batch (`paying`)
    confirm   (`depth`)    every tx CONFIRMATIONS blocks deep, re-resolved after a reorg
                           (`confirming` -> `settled`; a revert -> `failed`)
    debits    (`payments`) prosumer-signed payments (`due` -> `pending` -> `paid`) and the
                           reconciliation that records what the contract shows paid
Statuses and their allowed transitions: `models.domain.settlement_state` (every change goes
through it). Reads (`queries`) never write or broadcast. `run` holds the recorded state,
`lease` keeps one process per run, `jobs` runs a settlement in a worker thread,
`ledger_status` finds and deploys the contract. The chain is the `Ledger` port.
"""
