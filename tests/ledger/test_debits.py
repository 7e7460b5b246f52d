"""Pull-based debits proven against the posted root, paid by the prosumer's own wallet."""

from __future__ import annotations

import pytest
from chain_helpers import WEI_PER_MINOR, debit_call, post, signed_by, statement

from ledger.chain import Chain
from ledger.errors import LedgerError, LedgerReverted


@pytest.fixture
def debtors(chain: Chain, address: str, wallet):
    """Three funded prosumers with debits and one creditor, posted as a statement."""
    accounts = [wallet(10**18) for _ in range(3)]
    items = [
        (accounts[0].address, -250),
        ("0x" + "44" * 20, 900),
        (accounts[1].address, -1),
        (accounts[2].address, -12345),
    ]
    st = statement(items)
    post(chain, address, st)
    return st, {a.address: a for a in accounts}


def pay(chain: Chain, account, call: dict) -> dict:
    """Sign as the prosumer, check like the API would, send, wait."""
    raw = signed_by(chain, account, call)
    decoded = chain.check_debit_tx(raw, call)
    return chain.wait_receipt(chain.send_raw(decoded.raw))


def test_debit_is_paid_once_with_the_exact_value(chain: Chain, address: str, debtors) -> None:
    st, accounts = debtors
    debtor = accounts[st.items[3][0]]
    call = debit_call(chain, address, st, 3)
    assert call["value"] == 12345 * WEI_PER_MINOR
    pay(chain, debtor, call)
    assert chain.balance(address) == 12345 * WEI_PER_MINOR
    assert chain.settled_bits(address, st.period_id, [2, 3]) == {2: False, 3: True}
    (event,) = [e for e in chain.events(address, st.period_id) if e["event"] == "DebitPaid"]
    assert event["args"]["index"] == 3 and event["args"]["value"] == call["value"]
    assert event["args"]["account"] == debtor.address
    with pytest.raises(LedgerReverted, match="already settled"):
        pay(chain, debtor, call)


def test_wrong_value_reverts(chain: Chain, address: str, debtors) -> None:
    st, accounts = debtors
    call = debit_call(chain, address, st, 0)
    for value in (call["value"] - 1, call["value"] + 1, 0):
        raw = signed_by(chain, accounts[st.items[0][0]], {**call, "value": value})
        with pytest.raises(LedgerReverted, match="wrong value"):
            chain.wait_receipt(chain.send_raw(raw))


def test_wrong_rate_amount_or_proof_reverts(chain: Chain, address: str, debtors) -> None:
    st, accounts = debtors
    debtor = accounts[st.items[2][0]]
    bad = {
        "wrong wei_per_minor": {"wei_per_minor": WEI_PER_MINOR + 1},
        "invalid proof": {"proof": st.proof(0)},
        "index out of range": {"index": 4},
    }
    for reason, override in bad.items():
        call = debit_call(chain, address, st, 2, **override)
        with pytest.raises(LedgerReverted, match=reason):
            chain.wait_receipt(chain.send_raw(signed_by(chain, debtor, call)))
    other = accounts[st.items[0][0]]
    with pytest.raises(LedgerReverted, match="invalid proof"):
        chain.wait_receipt(
            chain.send_raw(signed_by(chain, other, debit_call(chain, address, st, 2)))
        )
    assert chain.settled_bits(address, st.period_id, [2]) == {2: False}


def test_a_credit_leaf_cannot_be_paid_as_a_debit(chain: Chain, address: str, debtors) -> None:
    st, accounts = debtors
    creditor_call = debit_call(chain, address, st, 0)
    creditor_call["data"] = chain.contract(address).encode_abi(
        "pay_debit", args=[st.grid_key, st.period_number, 1, 900, WEI_PER_MINOR, st.proof(1)]
    )
    creditor_call["value"] = 0
    with pytest.raises(LedgerReverted, match="not a debit"):
        chain.wait_receipt(
            chain.send_raw(signed_by(chain, accounts[st.items[0][0]], creditor_call))
        )


@pytest.mark.parametrize("size", [1, 2, 3, 5, 8])
def test_every_leaf_of_a_python_tree_verifies_on_chain(
    chain: Chain, address: str, wallet, size: int
) -> None:
    accounts = [wallet(10**17) for _ in range(size)]
    st = statement([(a.address, -(i + 1) * 7) for i, a in enumerate(accounts)])
    post(chain, address, st)
    for i, account in enumerate(accounts):
        pay(chain, account, debit_call(chain, address, st, i))
    assert all(chain.settled_bits(address, st.period_id, range(size)).values())
    assert chain.balance(address) == sum(7 * (i + 1) for i in range(size)) * WEI_PER_MINOR


def flip_last_byte(data: str) -> str:
    """The same call data with its last byte changed (never equal to the original)."""
    return data[:-2] + f"{int(data[-2:], 16) ^ 0xFF:02x}"


def test_check_debit_tx_rejects_what_was_not_asked(chain: Chain, address: str, debtors) -> None:
    st, accounts = debtors
    call = debit_call(chain, address, st, 0)
    debtor, other = accounts[st.items[0][0]], accounts[st.items[2][0]]
    assert chain.check_debit_tx(signed_by(chain, debtor, call), call).sender == debtor.address
    cases = {
        "signed by": signed_by(chain, other, call),
        "value": signed_by(chain, debtor, {**call, "value": call["value"] + 1}),
        "chain id": signed_by(chain, debtor, {**call, "chain_id": call["chain_id"] + 1}),
        "call data": signed_by(chain, debtor, {**call, "data": flip_last_byte(call["data"])}),
        "sent to": signed_by(chain, debtor, {**call, "to": "0x" + "55" * 20}),
    }
    for problem, raw in cases.items():
        with pytest.raises(LedgerError, match=problem):
            chain.check_debit_tx(raw, call)
    with pytest.raises(LedgerError, match="not a valid signed transaction"):
        chain.check_debit_tx("0x02c0", call)


def test_owner_withdraws_collected_debits(chain: Chain, address: str, debtors, wallet) -> None:
    st, accounts = debtors
    pay(chain, accounts[st.items[2][0]], debit_call(chain, address, st, 2))
    to = wallet(0)
    fn = chain.contract(address).functions.withdraw(to.address, WEI_PER_MINOR)
    chain.wait_receipt(
        chain.send_raw(chain.build_and_sign(fn, 0, chain.nonce_manager().next()).raw)
    )
    assert chain.balance(to.address) == WEI_PER_MINOR and chain.balance(address) == 0
