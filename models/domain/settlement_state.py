"""Settlement statuses and the transitions allowed between them; every status change is checked.

Four machines, one per kind of record:
    run     planned -> posting -> paying -> confirming -> settled; any unfinished phase may
            restart at posting (a resume, or a reorg found while confirming) or stop as failed
            (a reverted transaction; a re-run starts at posting again).
    credit  planned -> sent -> confirmed | deferred (owed on chain); sent -> planned when its
            tx failed or lost its nonce; planned -> confirmed | deferred when the contract's
            bitmap already shows it paid; confirmed | deferred -> sent after a reorg.
    debit   due -> pending (a signed payment was broadcast) -> paid, or back to due (reverted,
            refused); due -> paid when the contract's bitmap shows it paid.
    zero    confirmed (nothing to pay).
    tx      (none) -> sent -> confirmed | failed; (none) | sent | failed -> confirmed when the
            chain already holds its effect; failed -> sent (the root, sent again); confirmed ->
            sent after a reorg.
Staying in a status is always allowed (a rewrite with a new tx hash, a repeated resume).
"""

from __future__ import annotations

from typing import Final

# Run statuses (`DRY_RUN` and `UNVERIFIABLE` are only shown, never stored).
PLANNED: Final = "planned"
POSTING: Final = "posting"
PAYING: Final = "paying"
CONFIRMING: Final = "confirming"
SETTLED: Final = "settled"
FAILED: Final = "failed"
DRY_RUN: Final = "dry-run"
UNVERIFIABLE: Final = "unverifiable"
# Item and transaction statuses (PLANNED and FAILED are shared).
SENT: Final = "sent"
CONFIRMED: Final = "confirmed"
DEFERRED: Final = "deferred"
DUE: Final = "due"
PENDING: Final = "pending"
PAID: Final = "paid"

# Record kinds: a run, its items by amount sign, its transactions.
RUN: Final = "run"
CREDIT: Final = "credit"
DEBIT: Final = "debit"
ZERO: Final = "zero"
TX: Final = "tx"

TRANSITIONS: Final[dict[str, dict[str | None, frozenset[str]]]] = {
    RUN: {
        None: frozenset({PLANNED}),
        PLANNED: frozenset({POSTING}),
        POSTING: frozenset({POSTING, PAYING, FAILED}),
        PAYING: frozenset({POSTING, CONFIRMING, FAILED}),
        CONFIRMING: frozenset({POSTING, SETTLED, FAILED}),
        FAILED: frozenset({POSTING}),
        SETTLED: frozenset(),
    },
    CREDIT: {
        None: frozenset({PLANNED}),
        PLANNED: frozenset({SENT, CONFIRMED, DEFERRED}),
        SENT: frozenset({PLANNED, CONFIRMED, DEFERRED}),
        CONFIRMED: frozenset({SENT}),
        DEFERRED: frozenset({SENT}),
    },
    DEBIT: {
        None: frozenset({DUE}),
        DUE: frozenset({PENDING, PAID}),
        PENDING: frozenset({DUE, PAID}),
        PAID: frozenset(),
    },
    ZERO: {None: frozenset({CONFIRMED}), CONFIRMED: frozenset()},
    TX: {
        None: frozenset({SENT, CONFIRMED}),
        SENT: frozenset({CONFIRMED, FAILED}),
        CONFIRMED: frozenset({SENT}),
        FAILED: frozenset({SENT, CONFIRMED}),
    },
}
INITIAL: Final = {CREDIT: PLANNED, DEBIT: DUE, ZERO: CONFIRMED}  # an item's first status
# A credit that needs nothing more: paid to its wallet, or refused by it and owed on chain.
CREDIT_DONE: Final = (CONFIRMED, DEFERRED)


class IllegalTransition(ValueError):
    """A status change the settlement state machine does not allow."""

    def __init__(self, kind: str, old: str | None, new: str) -> None:
        super().__init__(f"a {kind} cannot go from {old or 'nothing'} to {new}")
        self.kind, self.old, self.new = kind, old, new


def allowed(kind: str, old: str | None, new: str) -> bool:
    """Whether a `kind` record may go from `old` (None: not yet recorded) to `new`."""
    table = TRANSITIONS[kind]
    if old is not None and old not in table:
        return False
    return new == old or new in table.get(old, frozenset())


def advance(kind: str, old: str | None, new: str) -> str:
    """`new` if the transition is allowed; IllegalTransition otherwise."""
    if not allowed(kind, old, new):
        raise IllegalTransition(kind, old, new)
    return new


def item_kind(amount_minor: int) -> str:
    """An item's kind from the sign of what the grid owes the prosumer."""
    return CREDIT if amount_minor > 0 else DEBIT if amount_minor < 0 else ZERO
