"""An in-memory Ledger (models/ports.py): the Settlement contract's rules, a scriptable node.

Transactions are "signed" as JSON text; a sent one is mined at once, in nonce order, unless a
test scripted otherwise:
    hold(n, op)        the next n broadcasts (of `op` calls only, if given) reach the node but
                       are not mined (a lost receipt)
    mine_held()        mine whatever is held (the receipt turns up late)
    revert_next(why, op)  the next mined `op` call (any tx if None) reverts with `why`
    take_nonce(n)      another operator tx is mined with nonce n (it takes that nonce)
    refuse(account)    `account` refuses pushed ether: its credits are deferred (owed)
    reset()            the chain is reset: contracts, state and receipts are gone
`calls` counts every operation, `sent` lists every broadcast raw tx. No time passes: waiting
for a receipt that is not there raises LedgerTimeout at once.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.ports import LedgerError, LedgerReverted, LedgerTimeout, Receipt

OPERATOR = "0x" + "0f" * 20


class Crashed(BaseException):
    """Stands in for the process being killed (not an Exception: nothing catches it)."""


@dataclass(frozen=True)
class FakeTx:
    """A signed transaction of the fake chain (also its decoded form)."""

    raw: str
    tx_hash: str
    nonce: int


class FakeNonces:
    def __init__(self, start: int) -> None:
        self._next = start

    def next(self) -> int:
        self._next += 1
        return self._next - 1


@dataclass
class Period:
    root: str
    count: int
    wei_per_minor: int
    bits: set[int] = field(default_factory=set)


class FakeLedger:
    """The Ledger port in memory; see the module docstring for what a test can script."""

    chain_id = 31337
    operator = OPERATOR

    def __init__(self, tx_wait_s: float = 0.0) -> None:
        self.tx_wait_s = tx_wait_s
        self.calls: Counter[str] = Counter()
        self.sent: list[str] = []
        self.refusing: set[str] = set()
        self._hold, self._hold_op = 0, None
        self._revert: list[tuple[str | None, str]] = []
        self._crash = 0
        self.deploys = 0
        self.reset()

    # --- scripting --------------------------------------------------------------------------

    def reset(self) -> None:
        """A fresh chain: no contracts, no transactions, operator nonce 0."""
        self.block = 0
        self.nonce = 0  # the operator's mined transaction count
        self.code: set[str] = set()
        self.periods: dict[tuple[str, str], Period] = {}
        self.balances: Counter[str] = Counter()
        self.owed_wei: Counter[str] = Counter()
        self.events: list[dict[str, Any]] = []
        self.receipts: dict[str, dict[str, Any]] = {}
        self.mempool: dict[int, str] = {}
        self.held: list[str] = []

    def hold(self, n: int = 1, op: str | None = None) -> None:
        self._hold, self._hold_op = n, op

    def mine_held(self) -> None:
        held, self.held = self.held, []
        for raw in held:
            self._queue(raw)

    def crash_on_send(self, nth: int = 1) -> None:
        """The n-th next broadcast raises Crashed before the node gets it (a killed process)."""
        self._crash = nth

    def revert_next(self, reason: str, op: str | None = None) -> None:
        self._revert.append((op, reason))

    def refuse(self, account: str) -> None:
        self.refusing.add(account.lower())

    def take_nonce(self, nonce: int) -> None:
        """Mine an unrelated operator transfer with `nonce` (the next one to be mined)."""
        assert nonce == self.nonce, "the fake mines nonces in order"
        self._mine(self._sign({"op": "transfer"}, nonce))

    # --- the node ---------------------------------------------------------------------------

    def ping(self) -> int:
        self.calls["ping"] += 1
        return self.block

    def has_code(self, address: str) -> bool:
        return address.lower() in self.code

    def balance(self, address: str) -> int:
        return self.balances[address.lower()]

    def nonce_manager(self) -> FakeNonces:
        waiting = [json.loads(raw)["nonce"] + 1 for raw in self.held] + [
            n + 1 for n in self.mempool
        ]
        return FakeNonces(max([self.nonce, *waiting]))

    def operator_nonce_latest(self) -> int:
        return self.nonce

    def send_raw(self, raw: str) -> str:
        self.calls["send_raw"] += 1
        if self._crash:
            self._crash -= 1
            if not self._crash:
                raise Crashed("killed before the broadcast")
        self.sent.append(raw)
        tx = json.loads(raw)
        tx_hash = _hash(raw)
        if tx_hash in self.receipts or raw in self.held or self.mempool.get(tx["nonce"]) == raw:
            return tx_hash
        if tx["nonce"] < self.nonce:
            raise LedgerError(f"node rejected transaction {tx_hash}: nonce too low")
        if self._hold and self._hold_op in (None, tx["op"]):
            self._hold -= 1
            self.held.append(raw)
            return tx_hash
        self._queue(raw)
        return tx_hash

    def receipt_or_none(self, tx_hash: str) -> Receipt | None:
        return self.receipts.get(tx_hash)

    def wait_receipt(self, tx_hash: str, timeout_s: float | None = None) -> Receipt:
        self.calls["wait_receipt"] += 1
        receipt = self.receipts.get(tx_hash)
        if receipt is None:
            raise LedgerTimeout(f"transaction {tx_hash} not mined within {timeout_s}s")
        if receipt["status"] == 0:
            reason = receipt["reason"]
            raise LedgerReverted(f"transaction {tx_hash} reverted: {reason}", reason, tx_hash)
        return receipt

    def replacement(self, raw: str) -> FakeTx | None:
        return None  # no fee spikes on the fake

    def _sign(self, call: dict[str, Any], nonce: int) -> FakeTx:
        raw = json.dumps({**call, "nonce": nonce}, sort_keys=True)
        return FakeTx(raw, _hash(raw), nonce)

    def _queue(self, raw: str) -> None:
        self.mempool[json.loads(raw)["nonce"]] = raw
        while self.nonce in self.mempool:
            self._mine(FakeTx(self.mempool.pop(self.nonce), "", self.nonce))

    def _mine(self, tx: FakeTx) -> None:
        """Mine a tx in its own block: apply its call, or revert it (scripted or by the rules)."""
        call, tx_hash = json.loads(tx.raw), _hash(tx.raw)
        self.block += 1
        self.nonce = max(self.nonce, tx.nonce + 1)
        receipt = {"status": 1, "blockNumber": self.block, "gasUsed": 50_000}
        receipt["blockHash"] = "0x" + hashlib.sha256(f"block{self.block}".encode()).hexdigest()
        try:
            if self._revert and self._revert[0][0] in (None, call["op"]):
                reason = self._revert.pop(0)[1]
                raise LedgerReverted(reason, reason)
            getattr(self, "_do_" + call["op"])(call)
        except LedgerReverted as exc:
            receipt.update(status=0, reason=exc.reason)
        self.receipts[tx_hash] = receipt

    # --- the Settlement contract ------------------------------------------------------------

    def deploy(self) -> str:
        self.calls["deploy"] += 1
        self.deploys += 1  # survives a reset: a redeploy gets a new address
        seed = f"contract:{self.deploys}"
        address = "0x" + hashlib.sha256(seed.encode()).hexdigest()[:40]
        self.code.add(address)
        self._mine(self._sign({"op": "transfer"}, self.nonce))
        return address

    def post_root(
        self,
        address: str,
        period_id: bytes,
        root: bytes,
        count: int,
        wei_per_minor: int,
        nonce: int,
        gas: int | None = None,
    ) -> FakeTx:
        args = {"root": "0x" + root.hex(), "count": count, "wei_per_minor": wei_per_minor}
        return self._contract_call("post_root", address, period_id, args, nonce)

    def pay_credits(
        self,
        address: str,
        period_id: bytes,
        items: Iterable[tuple[int, str, int]],
        nonce: int,
        gas: int | None = None,
    ) -> FakeTx:
        args = {"items": [list(item) for item in items]}
        return self._contract_call("pay_credits", address, period_id, args, nonce)

    def _contract_call(
        self, op: str, address: str, period_id: bytes, args: dict[str, Any], nonce: int
    ) -> FakeTx:
        self.calls[op] += 1
        call = {"op": op, "to": address.lower(), "period": "0x" + period_id.hex(), **args}
        return self._sign(call, nonce)

    def _do_transfer(self, call: dict[str, Any]) -> None:
        pass

    def _do_post_root(self, call: dict[str, Any]) -> None:
        key = (call["to"], call["period"])
        if call["to"] not in self.code:
            raise LedgerReverted("no contract", "no contract")
        if key in self.periods:
            raise LedgerReverted("root already posted", "root already posted")
        self.periods[key] = Period(call["root"], call["count"], call["wei_per_minor"])
        self._event("RootPosted", call["period"], {})

    def _do_pay_credits(self, call: dict[str, Any]) -> None:
        period = self.periods.get((call["to"], call["period"]))
        if period is None:
            raise LedgerReverted("root not posted", "root not posted")
        for index, _, _ in call["items"]:
            if index in period.bits or index >= period.count:
                raise LedgerReverted("already settled", "already settled")
        for index, account, wei in call["items"]:
            period.bits.add(index)
            if account.lower() in self.refusing:
                self.owed_wei[account.lower()] += wei
                self._event("CreditDeferred", call["period"], {"index": index, "amount": wei})
            else:
                self.balances[account.lower()] += wei

    def _event(self, name: str, period: str, args: dict[str, Any]) -> None:
        self.events.append({"event": name, "period": period, "args": args, "block": self.block})

    def settled_bits(
        self, address: str, period_id: bytes, indices: Iterable[int]
    ) -> dict[int, bool]:
        self.calls["settled_bits"] += 1
        period = self.periods.get((address.lower(), "0x" + period_id.hex()))
        bits = period.bits if period else set()
        return {i: i in bits for i in indices}

    def period_state(self, address: str, period_id: bytes) -> dict[str, Any]:
        period = self.periods.get((address.lower(), "0x" + period_id.hex()))
        if period is None:
            return {"root": "0x" + "00" * 32, "count": 0, "wei_per_minor": 0, "posted": False}
        return {
            "root": period.root,
            "count": period.count,
            "wei_per_minor": period.wei_per_minor,
            "posted": True,
        }

    def deferred(self, address: str, period_id: bytes, from_block: int = 0) -> dict[int, int]:
        pid = "0x" + period_id.hex()
        return {
            e["args"]["index"]: e["args"]["amount"]
            for e in self.events
            if e["event"] == "CreditDeferred" and e["period"] == pid and e["block"] >= from_block
        }

    def owed(self, address: str, account: str) -> int:
        return self.owed_wei[account.lower()]

    def debit_call(
        self,
        address: str,
        grid_key: bytes,
        period_number: int,
        index: int,
        account: str,
        amount_minor: int,
        wei_per_minor: int,
        proof: Iterable[bytes],
    ) -> dict[str, Any]:
        data = json.dumps({"op": "pay_debit", "index": index, "proof": [p.hex() for p in proof]})
        value = -amount_minor * wei_per_minor
        return {"from": account, "to": address, "data": data, "value": value, "chain_id": 31337}

    def check_debit_tx(self, raw_signed_tx: str, expected: Mapping[str, Any]) -> FakeTx:
        try:
            tx = json.loads(raw_signed_tx)
        except ValueError as exc:
            raise LedgerError("debit transaction rejected: not a fake transaction") from exc
        if tx.get("data") != expected["data"]:
            raise LedgerError("debit transaction rejected: data differs")
        return FakeTx(raw_signed_tx, _hash(raw_signed_tx), int(tx.get("nonce", 0)))


def _hash(raw: str) -> str:
    return "0x" + hashlib.sha256(raw.encode()).hexdigest()
