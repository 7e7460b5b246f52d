"""The Chain client: nonces, idempotent sends, receipts, errors, events, ids."""

from __future__ import annotations

import uuid

import pytest
from chain_helpers import free_port, mined, post, statement

from ledger.chain import Chain
from ledger.errors import LedgerError, LedgerReverted, LedgerTimeout, LedgerUnavailable
from models.domain.statements import grid_key, period_id


def test_a_mined_reverted_transaction_raises_with_its_reason(chain: Chain, address: str) -> None:
    st = statement([("0x" + "66" * 20, 5)])
    post(chain, address, st)
    again = chain.post_root(
        address, st.period_id, st.root, 1, 7, chain.nonce_manager().next(), gas=200_000
    )
    tx_hash = chain.send_raw(again.raw)
    with pytest.raises(LedgerError, match="root already posted") as info:
        chain.wait_receipt(tx_hash)
    assert isinstance(info.value, LedgerReverted) and info.value.tx_hash == again.tx_hash
    assert chain.receipt_or_none(tx_hash)["status"] == 0


def test_consecutive_nonces_and_a_repeated_send(chain: Chain, address: str) -> None:
    st = statement([("0x" + "77" * 20, 5)])
    nonces = chain.nonce_manager()
    start = nonces.peek()
    assert start == chain.operator_nonce_latest()
    root_tx = chain.post_root(address, st.period_id, st.root, 1, 10, nonces.next())
    credit_tx = chain.pay_credits(
        address, st.period_id, [(0, st.items[0][0], 50)], nonces.next(), gas=150_000
    )
    assert (root_tx.nonce, credit_tx.nonce) == (start, start + 1)
    assert chain.receipt_or_none(root_tx.tx_hash) is None
    for signed in (root_tx, credit_tx):
        assert chain.send_raw(signed.raw) == signed.tx_hash
    mined(chain, root_tx)
    mined(chain, credit_tx)
    assert chain.send_raw(credit_tx.raw) == credit_tx.tx_hash  # already mined: still success
    assert chain.operator_nonce_latest() == start + 2
    assert [e["event"] for e in chain.events(address, st.period_id)] == [
        "RootPosted",
        "CreditsPaid",
    ]
    assert chain.period_state(address, st.period_id) == {
        "root": "0x" + st.root.hex(),
        "count": 1,
        "wei_per_minor": 10,
        "posted": True,
    }


def test_a_foreign_transaction_with_a_used_nonce_is_rejected(chain: Chain, address: str) -> None:
    used = chain.nonce_manager().next() - 1
    stale = chain.sign_transfer("0x" + "88" * 20, 1, used)
    with pytest.raises(LedgerError, match="rejected"):
        chain.send_raw(stale.raw)


def test_waiting_for_an_unknown_transaction_times_out(chain: Chain) -> None:
    with pytest.raises(LedgerTimeout, match="not mined within"):
        chain.wait_receipt("0x" + "ab" * 32, timeout_s=0.2)
    assert chain.receipt_or_none("0x" + "ab" * 32) is None


def test_an_unreachable_node_is_unavailable() -> None:
    chain = Chain.connect(f"http://127.0.0.1:{free_port()}", timeout_s=1.0)
    with pytest.raises(LedgerUnavailable):
        chain.ping()
    with pytest.raises(LedgerUnavailable):
        chain.has_code("0x" + "00" * 20)


def test_only_the_owner_posts(chain: Chain, address: str, wallet) -> None:
    stranger = wallet(10**18)
    outsider = Chain(chain.w3, stranger.key.hex(), chain.timeout_s)
    st = statement([("0x" + "99" * 20, 5)])
    with pytest.raises(LedgerReverted, match="only owner"):
        outsider.post_root(address, st.period_id, st.root, 1, 10, 0)
    assert chain.contract(address).functions.owner().call() == chain.operator
    assert chain.has_code(address) and not chain.has_code(stranger.address)


def test_ids_pad_the_uuid_and_hash_the_period() -> None:
    key = grid_key("12345678-1234-5678-1234-567812345678")
    assert key == bytes(16) + uuid.UUID("12345678-1234-5678-1234-567812345678").bytes
    assert period_id(key, 202610) != period_id(key, 202611)
    with pytest.raises(ValueError):
        period_id(b"short", 202610)


def test_unsupported_url_is_refused() -> None:
    with pytest.raises(ValueError, match="unsupported chain URL"):
        Chain.connect("ws://127.0.0.1:8545")
