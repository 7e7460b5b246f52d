"""The settlement state machine: its table, and that it refuses what the table does not allow."""

from __future__ import annotations

import pytest

from models.domain import settlement_state as st

ALLOWED = [
    (st.RUN, None, st.PLANNED),
    (st.RUN, st.PLANNED, st.POSTING),
    (st.RUN, st.POSTING, st.PAYING),
    (st.RUN, st.PAYING, st.CONFIRMING),
    (st.RUN, st.CONFIRMING, st.SETTLED),
    (st.RUN, st.CONFIRMING, st.POSTING),  # a reorg: post and pay again
    (st.RUN, st.PAYING, st.FAILED),
    (st.RUN, st.FAILED, st.POSTING),  # a re-run after a revert
    (st.CREDIT, st.PLANNED, st.SENT),
    (st.CREDIT, st.SENT, st.CONFIRMED),
    (st.CREDIT, st.SENT, st.DEFERRED),
    (st.CREDIT, st.SENT, st.PLANNED),
    (st.CREDIT, st.PLANNED, st.CONFIRMED),  # the bitmap says another tx paid it
    (st.CREDIT, st.CONFIRMED, st.SENT),  # a reorg
    (st.DEBIT, st.DUE, st.PENDING),
    (st.DEBIT, st.PENDING, st.PAID),
    (st.DEBIT, st.PENDING, st.DUE),
    (st.DEBIT, st.DUE, st.PAID),
    (st.TX, None, st.SENT),
    (st.TX, None, st.CONFIRMED),  # found on chain
    (st.TX, st.SENT, st.FAILED),
    (st.TX, st.FAILED, st.SENT),
    (st.TX, st.CONFIRMED, st.SENT),
]
REFUSED = [
    (st.RUN, st.SETTLED, st.POSTING),  # a settled run is never run again
    (st.RUN, st.SETTLED, st.FAILED),
    (st.RUN, st.PLANNED, st.SETTLED),  # no phase is skipped
    (st.RUN, st.POSTING, st.CONFIRMING),
    (st.RUN, None, st.POSTING),
    (st.CREDIT, st.PLANNED, st.PAID),  # a debit's status
    (st.CREDIT, st.CONFIRMED, st.PLANNED),  # paid money is not planned again
    (st.CREDIT, st.DEFERRED, st.CONFIRMED),
    (st.DEBIT, st.PAID, st.DUE),  # a paid debit stays paid
    (st.DEBIT, st.PAID, st.PENDING),
    (st.DEBIT, st.DUE, st.SENT),
    (st.ZERO, st.CONFIRMED, st.SENT),
    (st.TX, st.SENT, st.PLANNED),
    (st.TX, None, st.FAILED),
    (st.RUN, "bogus", st.POSTING),
]


@pytest.mark.parametrize(("kind", "old", "new"), ALLOWED)
def test_the_table_allows(kind: str, old: str | None, new: str) -> None:
    assert st.allowed(kind, old, new)
    assert st.advance(kind, old, new) == new


@pytest.mark.parametrize(("kind", "old", "new"), REFUSED)
def test_the_table_refuses(kind: str, old: str | None, new: str) -> None:
    assert not st.allowed(kind, old, new)
    with pytest.raises(st.IllegalTransition, match=f"a {kind} cannot go from"):
        st.advance(kind, old, new)


def test_staying_is_allowed_and_every_target_is_a_known_status() -> None:
    for kind, table in st.TRANSITIONS.items():
        for old, targets in table.items():
            if old is not None:
                assert st.allowed(kind, old, old)
            assert targets <= {s for s in table if s is not None}, (kind, old)


def test_items_start_by_kind() -> None:
    assert [st.item_kind(a) for a in (5, -5, 0)] == [st.CREDIT, st.DEBIT, st.ZERO]
    assert {st.INITIAL[k] for k in (st.CREDIT, st.DEBIT, st.ZERO)} == {
        st.PLANNED,
        st.DUE,
        st.CONFIRMED,
    }
    for kind, first in st.INITIAL.items():
        assert st.allowed(kind, None, first)
