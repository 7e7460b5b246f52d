"""The Settlement contract binding: deploy it, sign its calls, read its state and events.

`Chain` is the node client (`ledger.node.Node`) plus the contract, and implements the services'
`Ledger` port (models/ports.py); mypy checks that at the end of this module.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from eth_utils.address import to_checksum_address
from web3 import Web3
from web3.contract import Contract

from ledger.contract import compiled
from ledger.errors import LedgerError
from ledger.events import period_events
from ledger.node import DEV_OPERATOR_KEY, TX_WAIT_S, Node, SignedTx
from ledger.rawtx import DecodedTx, decode_raw_tx, mismatches
from ledger.rpc import rpc
from models.ports import Ledger

__all__ = ["DEV_OPERATOR_KEY", "TX_WAIT_S", "Chain", "SignedTx"]


class Chain(Node):
    """The operator's node client with the Settlement contract's calls."""

    def contract(self, address: str) -> Contract:
        """The Settlement contract at `address`."""
        abi, _ = compiled()
        return self.w3.eth.contract(address=to_checksum_address(address), abi=abi)

    @rpc
    def deploy(self) -> str:
        """Deploy Settlement with the operator as owner; wait for it; return its address."""
        abi, bytecode = compiled()
        factory = self.w3.eth.contract(abi=abi, bytecode=bytecode)
        signed = self.build_and_sign(factory.constructor(), 0, self.nonce_manager().next())
        receipt = self.wait_receipt(self.send_raw(signed.raw))
        return str(to_checksum_address(receipt["contractAddress"]))

    def post_root(
        self,
        address: str,
        period_id: bytes,
        root: bytes,
        count: int,
        wei_per_minor: int,
        nonce: int,
        gas: int | None = None,
    ) -> SignedTx:
        """Sign post_root (not sent): fix a period's root, item count and wei per minor unit."""
        fn = self.contract(address).functions.post_root(period_id, root, count, wei_per_minor)
        return self.build_and_sign(fn, 0, nonce, gas)

    def pay_credits(
        self,
        address: str,
        period_id: bytes,
        items: Sequence[tuple[int, str, int]],
        nonce: int,
        gas: int | None = None,
    ) -> SignedTx:
        """Sign pay_credits (not sent) for (index, account, wei) items; value = Σ wei."""
        indices = [index for index, _, _ in items]
        accounts = [to_checksum_address(account) for _, account, _ in items]
        amounts = [wei for _, _, wei in items]
        fn = self.contract(address).functions.pay_credits(period_id, indices, accounts, amounts)
        return self.build_and_sign(fn, sum(amounts), nonce, gas)

    @rpc
    def settled_bits(
        self, address: str, period_id: bytes, indices: Iterable[int]
    ) -> dict[int, bool]:
        """Which indices of a period are settled on chain (one call per 256-index word)."""
        wanted = list(indices)
        settled = self.contract(address).functions.settled
        words = {w: int(settled(period_id, w).call()) for w in {i >> 8 for i in wanted}}
        return {i: bool(words[i >> 8] >> (i & 255) & 1) for i in wanted}

    @rpc
    def period_state(self, address: str, period_id: bytes) -> dict[str, Any]:
        """{root, count, wei_per_minor, posted} as stored for a period."""
        fns = self.contract(address).functions
        wei = int(fns.wei_per_minor(period_id).call())
        return {
            "root": Web3.to_hex(fns.roots(period_id).call()),
            "count": int(fns.counts(period_id).call()),
            "wei_per_minor": wei,
            "posted": wei != 0,
        }

    @rpc
    def events(self, address: str, period_id: bytes, from_block: int = 0) -> list[dict[str, Any]]:
        """The period's RootPosted/CreditsPaid/CreditDeferred/DebitPaid events, oldest first."""
        return period_events(self.contract(address), period_id, from_block)

    @rpc
    def deferred(self, address: str, period_id: bytes, from_block: int = 0) -> dict[int, int]:
        """{index: wei} of the period's credits whose transfer failed and are owed on chain."""
        logs = period_events(self.contract(address), period_id, from_block, ("CreditDeferred",))
        return {int(e["args"]["index"]): int(e["args"]["amount"]) for e in logs}

    @rpc
    def owed(self, address: str, account: str) -> int:
        """Wei the contract holds for `account` (deferred credits it has not claimed)."""
        return int(self.contract(address).functions.owed(to_checksum_address(account)).call())

    def debit_call(
        self,
        address: str,
        grid_key: bytes,
        period_number: int,
        index: int,
        account: str,
        amount_minor: int,
        wei_per_minor: int,
        proof: Sequence[bytes],
    ) -> dict[str, Any]:
        """Payment instructions for a prosumer's debit: {from, to, data, value, chain_id}."""
        if amount_minor >= 0:
            raise ValueError("a debit has a negative amount_minor")
        contract = self.contract(address)
        data = contract.encode_abi(
            "pay_debit",
            args=[grid_key, period_number, index, amount_minor, wei_per_minor, list(proof)],
        )
        return {
            "from": to_checksum_address(account),
            "to": contract.address,
            "data": data,
            "value": -amount_minor * wei_per_minor,
            "chain_id": self.chain_id,
        }

    def check_debit_tx(self, raw_signed_tx: str, expected: Mapping[str, Any]) -> DecodedTx:
        """Decode a prosumer-signed debit payment; LedgerError unless it matches `expected`."""
        decoded = decode_raw_tx(raw_signed_tx)
        problems = mismatches(decoded, expected, self.chain_id)
        if problems:
            raise LedgerError("debit transaction rejected: " + "; ".join(problems))
        return decoded


_CHAIN_IS_A_LEDGER: type[Ledger] = Chain  # mypy: the adapter implements the port
