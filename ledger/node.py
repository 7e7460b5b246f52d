"""The node client: connect, sign locally with the operator key, fees, nonces, send, receipts.

It knows nothing of the Settlement contract (that binding is `ledger.chain.Chain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self, cast

from eth_account import Account
from eth_typing import ChecksumAddress, HexStr
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import (
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)
from web3.types import TxParams, Wei

from ledger.errors import LedgerError, LedgerReverted, LedgerTimeout
from ledger.fees import FEE_BLOCKS, TIP_PERCENTILE, Fees, bumped, network_fees
from ledger.nonces import NonceManager
from ledger.rawtx import fee_fields
from ledger.rpc import TesterFailed, revert_reason, rpc

# The first anvil dev account ("test test ... junk"); the operator in development only.
DEV_OPERATOR_KEY = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
TESTER_OPERATOR_FUNDS = 100_000 * 10**18
TX_WAIT_S = 300.0
FEE_CAP_WEI = 500 * 10**9


@dataclass(frozen=True)
class SignedTx:
    """A locally signed transaction: broadcast `raw`; record `tx_hash` and `nonce` first."""

    raw: str
    tx_hash: str
    nonce: int


def _tester_web3() -> Web3:
    """A fresh in-process py-evm chain (unit tests only)."""
    from web3.providers.eth_tester import EthereumTesterProvider

    return Web3(EthereumTesterProvider())


class Node:
    """The operator's connection to one node, signing with the operator key."""

    def __init__(
        self,
        w3: Web3,
        operator_key: str,
        timeout_s: float,
        *,
        tx_wait_s: float = TX_WAIT_S,
        fee_cap_wei: int = FEE_CAP_WEI,
    ) -> None:
        self.w3 = w3
        self.timeout_s = timeout_s  # each node call
        self.tx_wait_s = tx_wait_s  # waiting for a transaction to be mined
        self.fee_cap_wei = fee_cap_wei
        self._account = Account.from_key(operator_key)
        self._chain_id: int | None = None

    @classmethod
    def connect(
        cls,
        url: str,
        operator_key: str = DEV_OPERATOR_KEY,
        timeout_s: float = 10.0,
        **waits: Any,
    ) -> Self:
        """Open a client for an http(s) node URL, or `eth-tester://` for an in-process chain.

        `waits`: tx_wait_s (seconds to wait for a receipt) and fee_cap_wei (max fee per gas).
        """
        if url.startswith("eth-tester://"):
            chain = cls(_tester_web3(), operator_key, timeout_s, **waits)
            chain._fund_operator_from_tester()
            return chain
        if not url.startswith(("http://", "https://")):
            raise ValueError(f"unsupported chain URL {url!r}: use http(s):// or eth-tester://")
        provider = HTTPProvider(
            url, request_kwargs={"timeout": timeout_s}, exception_retry_configuration=None
        )
        return cls(Web3(provider), operator_key, timeout_s, **waits)

    def _fund_operator_from_tester(self) -> None:
        """Give the operator ether from eth-tester's pre-funded account."""
        source = self.w3.eth.accounts[0]
        tx: TxParams = {
            "from": source,
            "to": self.operator_address,
            "value": Wei(TESTER_OPERATOR_FUNDS),
        }
        self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_transaction(tx))

    @property
    def operator_address(self) -> ChecksumAddress:
        """The operator's address, typed for web3."""
        return ChecksumAddress(self._account.address)

    @property
    def operator(self) -> str:
        """The operator's checksummed address."""
        return str(self._account.address)

    @property
    @rpc
    def chain_id(self) -> int:
        """The node's chain id (asked once)."""
        if self._chain_id is None:
            self._chain_id = int(self.w3.eth.chain_id)
        return self._chain_id

    @rpc
    def ping(self) -> int:
        """The latest block number; LedgerUnavailable if the node does not answer."""
        return int(self.w3.eth.block_number)

    @rpc
    def has_code(self, address: str) -> bool:
        """Whether a contract is deployed at `address`."""
        return len(self.w3.eth.get_code(to_checksum_address(address))) > 0

    @rpc
    def balance(self, address: str) -> int:
        """Wei held by `address` at the latest block."""
        return int(self.w3.eth.get_balance(to_checksum_address(address)))

    @rpc
    def nonce_manager(self) -> NonceManager:
        """A NonceManager starting at the operator's pending transaction count."""
        return NonceManager(self.w3.eth.get_transaction_count(self.operator_address, "pending"))

    @rpc
    def operator_nonce_latest(self) -> int:
        """The operator's mined transaction count (nonces below it are used up)."""
        return int(self.w3.eth.get_transaction_count(self.operator_address, "latest"))

    @rpc
    def fees(self) -> Fees:
        """EIP-1559 fees from eth_feeHistory (2 × next base fee + median tip), capped."""
        history: dict[str, Any] = dict(
            self.w3.eth.fee_history(FEE_BLOCKS, "latest", [TIP_PERCENTILE])
        )
        rewards = [r for r in history.get("reward") or [] if r and int(r[0])]
        fallback = 0 if rewards else int(self.w3.eth.max_priority_fee)
        return network_fees(history, fallback, self.fee_cap_wei)

    def _fees(self) -> dict[str, int]:
        return self.fees().fields()

    @rpc
    def replacement(self, raw: str) -> SignedTx | None:
        """The operator's tx re-signed (same nonce, higher fees) if it is priced below the next
        block's base fee (a fee spike); None if it can still be mined or the cap forbids more."""
        fields = fee_fields(raw)
        old = Fees(int(fields["maxFeePerGas"]), int(fields["maxPriorityFeePerGas"]))
        fresh = self.fees()
        if old.max_fee >= fresh.base:
            return None
        new = bumped(old, fresh, self.fee_cap_wei)
        if new is None:
            return None
        return self._sign({**fields, **new.fields()}, int(fields["nonce"]))

    @rpc
    def build_and_sign(
        self,
        fn_call: ContractFunction | ContractConstructor,
        value: int,
        nonce: int,
        gas: int | None = None,
    ) -> SignedTx:
        """Sign a contract call locally; gas = estimate × 1.2 unless given."""
        base: TxParams = {"from": self.operator_address, "value": Wei(value)}
        if gas is None:
            gas = int(fn_call.estimate_gas(base)) * 6 // 5
        params = {**base, "nonce": nonce, "gas": gas, "chainId": self.chain_id, **self._fees()}
        tx = fn_call.build_transaction(cast(TxParams, params))
        return self._sign(dict(tx), nonce)

    @rpc
    def sign_transfer(self, to: str, value: int, nonce: int) -> SignedTx:
        """Sign a plain ether transfer from the operator."""
        tx = {
            "to": to_checksum_address(to),
            "value": value,
            "nonce": nonce,
            "gas": 21_000,
            "chainId": self.chain_id,
            **self._fees(),
        }
        return self._sign(tx, nonce)

    def _sign(self, tx: dict[str, Any], nonce: int) -> SignedTx:
        """Sign with the operator key."""
        signed = self._account.sign_transaction(tx)
        return SignedTx(Web3.to_hex(signed.raw_transaction), Web3.to_hex(signed.hash), nonce)

    @rpc
    def send_raw(self, raw: str) -> str:
        """Broadcast a signed transaction; a node that already has it counts as success."""
        tx_hash = Web3.to_hex(keccak(HexBytes(raw)))
        try:
            self.w3.eth.send_raw_transaction(HexStr(raw))
        except (Web3Exception, ValueError, ValidationError) as exc:
            if self._known(tx_hash):
                return tx_hash
            raise LedgerError(f"node rejected transaction {tx_hash}: {exc}") from exc
        return tx_hash

    def _known(self, tx_hash: str) -> bool:
        """Whether the node has the transaction (pending or mined)."""
        try:
            self.w3.eth.get_transaction(HexStr(tx_hash))
        except TransactionNotFound:
            return False
        return True

    @rpc
    def receipt_or_none(self, tx_hash: str) -> dict[str, Any] | None:
        """The receipt if the transaction is mined, else None."""
        try:
            return dict(self.w3.eth.get_transaction_receipt(HexStr(tx_hash)))
        except TransactionNotFound:
            return None

    @rpc
    def wait_receipt(self, tx_hash: str, timeout_s: float | None = None) -> dict[str, Any]:
        """Wait for a receipt (tx_wait_s unless given); LedgerTimeout if not mined in time,
        LedgerReverted if status 0."""
        timeout = self.tx_wait_s if timeout_s is None else timeout_s
        try:
            receipt = dict(
                self.w3.eth.wait_for_transaction_receipt(HexStr(tx_hash), timeout, poll_latency=0.1)
            )
        except TimeExhausted as exc:
            raise LedgerTimeout(f"transaction {tx_hash} not mined within {timeout}s") from exc
        if receipt["status"] == 0:
            reason = self._replayed_reason(tx_hash, receipt)
            raise LedgerReverted(f"transaction {tx_hash} reverted: {reason}", reason, tx_hash)
        return receipt

    def _replayed_reason(self, tx_hash: str, receipt: dict[str, Any]) -> str:
        """Replay a mined, reverted transaction as a call to learn its revert reason."""
        tx = self.w3.eth.get_transaction(HexStr(tx_hash))
        call: TxParams = {
            "from": tx["from"],
            "to": tx["to"],
            "data": tx["input"],
            "value": tx["value"],
            "gas": tx["gas"],
        }
        try:
            self.w3.eth.call(call, max(int(receipt["blockNumber"]) - 1, 0))
        except (ContractLogicError, TesterFailed) as exc:
            return revert_reason(exc) or "no reason given"
        except (Web3RPCError, ValueError):
            pass
        return "unknown reason (replay did not revert)"
