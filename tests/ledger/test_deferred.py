"""Push with pull fallback: a wallet refusing ether is owed its credit, then claims it."""

from __future__ import annotations

import pytest
from chain_helpers import WEI_PER_MINOR, mined, post, statement
from eth_account import Account
from refuser import claim_through, deploy_refuser

from ledger.chain import Chain
from ledger.errors import LedgerReverted


def _pay_with_a_refuser(chain: Chain, address: str, wallet) -> tuple[list[str], object]:
    """Pay [funded EOA, refusing contract, never-funded EOA] in one batch; (accounts, st)."""
    accounts = [wallet(10**18).address, deploy_refuser(chain), Account.create().address]
    st = statement([(a, 100 * (n + 1)) for n, a in enumerate(accounts)])
    post(chain, address, st)
    items = [(n, a, 100 * (n + 1) * WEI_PER_MINOR) for n, a in enumerate(accounts)]
    mined(chain, chain.pay_credits(address, st.period_id, items, chain.nonce_manager().next()))
    return accounts, st


def test_a_refused_credit_is_deferred_and_the_others_paid(chain: Chain, address, wallet) -> None:
    (funded, refuser, fresh), st = _pay_with_a_refuser(chain, address, wallet)
    assert chain.balance(funded) == 10**18 + 100 * WEI_PER_MINOR
    assert chain.balance(fresh) == 300 * WEI_PER_MINOR
    assert chain.balance(refuser) == 0
    assert chain.owed(address, refuser) == chain.balance(address) == 200 * WEI_PER_MINOR
    assert chain.owed(address, funded) == chain.owed(address, fresh) == 0
    assert chain.settled_bits(address, st.period_id, [0, 1, 2]) == {0: True, 1: True, 2: True}
    assert chain.deferred(address, st.period_id) == {1: 200 * WEI_PER_MINOR}
    names = [e["event"] for e in chain.events(address, st.period_id)]
    assert names == ["RootPosted", "CreditDeferred", "CreditsPaid"]


def test_the_owed_account_claims_once_to_any_address(chain: Chain, address, wallet) -> None:
    accounts, _ = _pay_with_a_refuser(chain, address, wallet)
    refuser, owed = accounts[1], 200 * WEI_PER_MINOR
    to = Account.create().address
    receipt = claim_through(chain, refuser, address, to)
    assert chain.balance(to) == owed
    assert chain.owed(address, refuser) == chain.balance(address) == 0
    assert chain.contract(address).functions.total_owed().call() == 0
    (log,) = chain.contract(address).events.OwedClaimed().process_receipt(receipt)
    assert dict(log["args"]) == {"account": refuser, "to": to, "amount": owed}
    with pytest.raises(LedgerReverted, match="nothing owed"):
        claim_through(chain, refuser, address, to)


def test_nobody_else_can_claim_and_the_owner_cannot_withdraw_it(chain: Chain, address, wallet):
    accounts, _ = _pay_with_a_refuser(chain, address, wallet)
    fns = chain.contract(address).functions
    with pytest.raises(LedgerReverted, match="nothing owed"):  # the operator is owed nothing
        chain.build_and_sign(fns.claim_owed(chain.operator), 0, chain.nonce_manager().peek())
    with pytest.raises(LedgerReverted, match="owed to prosumers"):
        chain.build_and_sign(fns.withdraw(chain.operator, 1), 0, chain.nonce_manager().peek())
    assert chain.owed(address, accounts[1]) == chain.balance(address) == 200 * WEI_PER_MINOR


def test_a_refused_credit_still_sets_its_bit_once(chain: Chain, address, wallet) -> None:
    accounts, st = _pay_with_a_refuser(chain, address, wallet)
    with pytest.raises(LedgerReverted, match="already settled"):
        chain.pay_credits(
            address, st.period_id, [(1, accounts[1], 1)], chain.nonce_manager().peek()
        )
    assert chain.owed(address, accounts[1]) == 200 * WEI_PER_MINOR
