"""Batch credit payments: exact arrival, once per (period, index), exact msg.value."""

from __future__ import annotations

import pytest
from chain_helpers import WEI_PER_MINOR, mined, post, statement

from ledger.chain import Chain
from ledger.errors import LedgerReverted


def test_credits_arrive_exactly_and_mark_bits(chain: Chain, address: str, wallet) -> None:
    funded, unfunded = wallet(10**18), wallet(0)
    st = statement([(funded.address, 1234), (unfunded.address, 5), ("0x" + "11" * 20, -70)])
    post(chain, address, st)
    before = {a.address: chain.balance(a.address) for a in (funded, unfunded)}
    items = [(0, funded.address, 1234 * WEI_PER_MINOR), (1, unfunded.address, 5 * WEI_PER_MINOR)]
    nonce = chain.nonce_manager().next()
    receipt = mined(chain, chain.pay_credits(address, st.period_id, items, nonce))
    assert chain.balance(funded.address) - before[funded.address] == 1234 * WEI_PER_MINOR
    assert chain.balance(unfunded.address) - before[unfunded.address] == 5 * WEI_PER_MINOR
    assert chain.balance(address) == 0
    assert chain.settled_bits(address, st.period_id, [0, 1, 2]) == {0: True, 1: True, 2: False}
    paid = [e for e in chain.events(address, st.period_id) if e["event"] == "CreditsPaid"]
    assert [e["args"] for e in paid] == [
        {
            "period_id": "0x" + st.period_id.hex(),
            "first_index": 0,
            "count": 2,
            "total": 1239 * WEI_PER_MINOR,
        }
    ]
    assert paid[0]["tx_hash"] == "0x" + bytes(receipt["transactionHash"]).hex()


def test_paying_the_same_index_twice_reverts(chain: Chain, address: str, wallet) -> None:
    acct = wallet(10**18)
    st = statement([(acct.address, 10), (acct.address, 20)])
    post(chain, address, st)
    mined(
        chain,
        chain.pay_credits(
            address, st.period_id, [(0, acct.address, 10)], chain.nonce_manager().next()
        ),
    )
    with pytest.raises(LedgerReverted, match="already settled"):
        chain.pay_credits(
            address,
            st.period_id,
            [(1, acct.address, 20), (0, acct.address, 10)],
            chain.nonce_manager().peek(),
        )
    with pytest.raises(LedgerReverted, match="already settled"):
        chain.pay_credits(
            address,
            st.period_id,
            [(1, acct.address, 20), (1, acct.address, 20)],
            chain.nonce_manager().peek(),
        )
    assert chain.settled_bits(address, st.period_id, [0, 1]) == {0: True, 1: False}


def test_wrong_msg_value_reverts(chain: Chain, address: str, wallet) -> None:
    acct = wallet(0)
    st = statement([(acct.address, 10)])
    post(chain, address, st)
    fn = chain.contract(address).functions.pay_credits(st.period_id, [0], [acct.address], [10])
    for value in (9, 11):
        with pytest.raises(LedgerReverted, match="value != sum"):
            chain.build_and_sign(fn, value, chain.nonce_manager().peek())


def test_credits_need_a_posted_root_and_an_index_in_range(chain: Chain, address: str) -> None:
    st = statement([("0x" + "22" * 20, 10)])
    with pytest.raises(LedgerReverted, match="root not posted"):
        chain.pay_credits(address, st.period_id, [(0, st.items[0][0], 10)], 0)
    post(chain, address, st)
    with pytest.raises(LedgerReverted, match="index out of range"):
        chain.pay_credits(address, st.period_id, [(1, st.items[0][0], 10)], 0)
    with pytest.raises(LedgerReverted, match="root already posted"):
        post(chain, address, st)


def test_bits_pack_across_storage_words(chain: Chain, address: str) -> None:
    acct = "0x" + "33" * 20
    st = statement([(acct, 1)] * 700)
    post(chain, address, st)
    paid = [0, 255, 256, 511, 699]
    items = [(i, acct, 1) for i in paid]
    mined(chain, chain.pay_credits(address, st.period_id, items, chain.nonce_manager().next()))
    bits = chain.settled_bits(address, st.period_id, range(700))
    assert {i for i, b in bits.items() if b} == set(paid)
    is_settled = chain.contract(address).functions.is_settled
    assert is_settled(st.period_id, 256).call() and not is_settled(st.period_id, 257).call()
