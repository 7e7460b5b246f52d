"""What the soak asks the chain node itself (JSON-RPC): balances, events, signing a debit."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from eth_account import Account
from web3 import Web3

DEBIT_PAID = "0x" + Web3.keccak(
    text="DebitPaid(bytes32,uint256,address,uint256)"
).hex().removeprefix("0x")
FUNDS_WEI = 10**19  # every prosumer wallet starts with 10 ether


def rpc(url: str, method: str, *params: Any) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": list(params)})
    req = urllib.request.Request(url, body.encode(), {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as resp:
        answer = json.load(resp)
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def new_wallet() -> tuple[str, str]:
    """(address, private key) of a fresh account."""
    account = Account.create()
    return account.address, account.key.hex()


def fund(url: str, address: str) -> None:
    rpc(url, "anvil_setBalance", address, hex(FUNDS_WEI))


def balance(url: str, address: str) -> int:
    return int(rpc(url, "eth_getBalance", address, "latest"), 16)


def debits_paid(url: str, contract: str, period_id: str) -> list[tuple[int, int]]:
    """(index, value in wei) of every DebitPaid event of the period."""
    logs = rpc(
        url,
        "eth_getLogs",
        {
            "address": contract,
            "fromBlock": "0x0",
            "toBlock": "latest",
            "topics": [DEBIT_PAID, period_id],
        },
    )
    out = []
    for log in logs:
        data = bytes.fromhex(log["data"].removeprefix("0x"))
        out.append((int.from_bytes(data[:32], "big"), int.from_bytes(data[32:64], "big")))
    return out


def sign_payment(url: str, pay: dict[str, Any], key: str) -> str:
    """The debtor's signed pay_debit transaction, as the README's snippet builds it."""
    call = {
        "from": pay["from"],
        "to": pay["to"],
        "data": pay["data"],
        "value": hex(int(pay["value"])),
    }
    tx = {
        "to": pay["to"],
        "data": pay["data"],
        "value": int(pay["value"]),
        "chainId": pay["chain_id"],
        "nonce": int(rpc(url, "eth_getTransactionCount", pay["from"], "pending"), 16),
        "gas": 2 * int(rpc(url, "eth_estimateGas", call), 16),
        "maxFeePerGas": 2 * int(rpc(url, "eth_gasPrice"), 16) + 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    signed = Account.sign_transaction(tx, key)
    return "0x" + signed.raw_transaction.hex().removeprefix("0x")
