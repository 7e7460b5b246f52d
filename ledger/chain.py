"""A web3 client for the operator: connect, deploy, sign locally, send, wait for receipts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_utils import ValidationError, keccak, to_checksum_address
from hexbytes import HexBytes
from web3 import HTTPProvider, Web3
from web3.contract import Contract
from web3.contract.contract import ContractConstructor, ContractFunction
from web3.exceptions import (
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
    Web3RPCError,
)

from ledger.contract import compiled
from ledger.errors import LedgerError, LedgerReverted, LedgerTimeout
from ledger.events import period_events
from ledger.fees import FEE_BLOCKS, TIP_PERCENTILE, Fees, bumped, network_fees
from ledger.nonces import NonceManager
from ledger.rawtx import DecodedTx, decode_raw_tx, fee_fields, mismatches
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


class Chain:
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
    ) -> Chain:
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
        tx = {"from": source, "to": self.operator, "value": TESTER_OPERATOR_FUNDS}
        self.w3.eth.wait_for_transaction_receipt(self.w3.eth.send_transaction(tx))

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

    @rpc
    def nonce_manager(self) -> NonceManager:
        """A NonceManager starting at the operator's pending transaction count."""
        return NonceManager(self.w3.eth.get_transaction_count(self.operator, "pending"))

    @rpc
    def operator_nonce_latest(self) -> int:
        """The operator's mined transaction count (nonces below it are used up)."""
        return int(self.w3.eth.get_transaction_count(self.operator, "latest"))

    @rpc
    def fees(self) -> Fees:
        """EIP-1559 fees from eth_feeHistory (2 × next base fee + median tip), capped."""
        history = dict(self.w3.eth.fee_history(FEE_BLOCKS, "latest", [TIP_PERCENTILE]))
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
        base = {"from": self.operator, "value": value}
        if gas is None:
            gas = int(fn_call.estimate_gas(base)) * 6 // 5
        tx = fn_call.build_transaction(
            {**base, "nonce": nonce, "gas": gas, "chainId": self.chain_id, **self._fees()}
        )
        return self._sign(tx, nonce)

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
            self.w3.eth.send_raw_transaction(raw)
        except (Web3Exception, ValueError, ValidationError) as exc:
            if self._known(tx_hash):
                return tx_hash
            raise LedgerError(f"node rejected transaction {tx_hash}: {exc}") from exc
        return tx_hash

    def _known(self, tx_hash: str) -> bool:
        """Whether the node has the transaction (pending or mined)."""
        try:
            self.w3.eth.get_transaction(tx_hash)
        except TransactionNotFound:
            return False
        return True

    @rpc
    def receipt_or_none(self, tx_hash: str) -> dict[str, Any] | None:
        """The receipt if the transaction is mined, else None."""
        try:
            return dict(self.w3.eth.get_transaction_receipt(tx_hash))
        except TransactionNotFound:
            return None

    @rpc
    def wait_receipt(self, tx_hash: str, timeout_s: float | None = None) -> dict[str, Any]:
        """Wait for a receipt (tx_wait_s unless given); LedgerTimeout if not mined in time,
        LedgerReverted if status 0."""
        timeout = self.tx_wait_s if timeout_s is None else timeout_s
        try:
            receipt = dict(
                self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout, poll_latency=0.1)
            )
        except TimeExhausted as exc:
            raise LedgerTimeout(f"transaction {tx_hash} not mined within {timeout}s") from exc
        if receipt["status"] == 0:
            reason = self._replayed_reason(tx_hash, receipt)
            raise LedgerReverted(f"transaction {tx_hash} reverted: {reason}", reason, tx_hash)
        return receipt

    def _replayed_reason(self, tx_hash: str, receipt: dict[str, Any]) -> str:
        """Replay a mined, reverted transaction as a call to learn its revert reason."""
        tx = self.w3.eth.get_transaction(tx_hash)
        call = {
            "from": tx["from"],
            "to": tx["to"],
            "data": tx["input"],
            "value": tx["value"],
            "gas": tx["gas"],
        }
        try:
            self.w3.eth.call(call, max(int(receipt["blockNumber"]) - 1, 0))  # type: ignore[arg-type]
        except (ContractLogicError, TesterFailed) as exc:
            return revert_reason(exc) or "no reason given"
        except (Web3RPCError, ValueError):
            pass
        return "unknown reason (replay did not revert)"

    # --- Settlement contract calls -------------------------------------------------------

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

    def check_debit_tx(self, raw_signed_tx: str, expected: dict[str, Any]) -> DecodedTx:
        """Decode a prosumer-signed debit payment; LedgerError unless it matches `expected`."""
        decoded = decode_raw_tx(raw_signed_tx)
        problems = mismatches(decoded, expected, self.chain_id)
        if problems:
            raise LedgerError("debit transaction rejected: " + "; ".join(problems))
        return decoded
