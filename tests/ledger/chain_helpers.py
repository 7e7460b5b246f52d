"""Helpers for ledger tests: posting a Python-built statement, signing as a prosumer."""

from __future__ import annotations

import os
import socket
import uuid
from dataclasses import dataclass

import pytest
from eth_account.signers.local import LocalAccount
from merkle_ref import leaf, proof, root

from ledger.anvil import ANVIL_BIN
from ledger.chain import Chain, SignedTx
from models.domain.statements import grid_key, period_id

PERIOD = 202610
WEI_PER_MINOR = 10**13  # 1 cent = 0.00001 ether


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_anvil() -> None:
    """Skip when anvil is not installed, except under CI where it must be."""
    if ANVIL_BIN.exists():
        return
    message = f"anvil not installed at {ANVIL_BIN}: run `npm ci`"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def mined(chain: Chain, signed: SignedTx) -> dict:
    """Broadcast a signed transaction and wait for its successful receipt."""
    return chain.wait_receipt(chain.send_raw(signed.raw))


@dataclass
class Statement:
    """A period's items (account, amount_minor), its Merkle tree, as posted on chain."""

    grid_key: bytes
    period_number: int
    items: list[tuple[str, int]]
    leaves: list[bytes]

    @property
    def period_id(self) -> bytes:
        return period_id(self.grid_key, self.period_number)

    @property
    def root(self) -> bytes:
        return root(self.leaves)

    def proof(self, index: int) -> list[bytes]:
        return proof(self.leaves, index)


def statement(items: list[tuple[str, int]], period_number: int = PERIOD) -> Statement:
    """Build the tree for `items` under a new random grid."""
    key = grid_key(str(uuid.uuid4()))
    leaves = [leaf(key, period_number, i, acct, amt) for i, (acct, amt) in enumerate(items)]
    return Statement(key, period_number, items, leaves)


def post(chain: Chain, address: str, st: Statement, wei_per_minor: int = WEI_PER_MINOR) -> None:
    """Post the statement's root, count and rate; wait for it."""
    nonce = chain.nonce_manager().next()
    signed = chain.post_root(address, st.period_id, st.root, len(st.items), wei_per_minor, nonce)
    mined(chain, signed)


def debit_call(chain: Chain, address: str, st: Statement, item: int, /, **override) -> dict:
    """Payment instructions for item `item` (fields may be overridden to build bad calls)."""
    account, amount = st.items[item]
    args = {
        "grid_key": st.grid_key,
        "period_number": st.period_number,
        "index": item,
        "account": account,
        "amount_minor": amount,
        "wei_per_minor": WEI_PER_MINOR,
        "proof": st.proof(item),
    }
    args.update(override)
    return chain.debit_call(address, **args)


def signed_by(chain: Chain, account: LocalAccount, call: dict, gas: int = 300_000) -> str:
    """A prosumer's raw signed transaction carrying out payment instructions `call`."""
    nonce = chain.w3.eth.get_transaction_count(account.address, "pending")
    base = int(chain.w3.eth.get_block("latest")["baseFeePerGas"])
    tx = {
        "to": call["to"],
        "data": call["data"],
        "value": call["value"],
        "chainId": call["chain_id"],
        "nonce": nonce,
        "gas": gas,
        "maxFeePerGas": 2 * base + 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    return "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()
