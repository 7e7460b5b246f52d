"""Reading the Settlement contract's events for one period."""

from __future__ import annotations

from typing import Any, cast

from eth_typing import ABIEvent
from eth_utils.abi import event_abi_to_log_topic
from web3 import Web3
from web3.contract import Contract

PERIOD_EVENTS = ("RootPosted", "CreditsPaid", "CreditDeferred", "DebitPaid")


def _plain(value: Any) -> Any:
    """Bytes as 0x-hex, everything else unchanged."""
    return Web3.to_hex(bytes(value)) if isinstance(value, bytes | bytearray) else value


def period_events(
    contract: Contract, period_id: bytes, from_block: int, names: tuple[str, ...] = PERIOD_EVENTS
) -> list[dict[str, Any]]:
    """The period's logs of the `names` events, in chain order, as plain dicts."""
    by_topic = {}
    for entry in contract.abi:
        if entry.get("type") == "event":
            abi = cast(ABIEvent, entry)
            if abi["name"] in names:
                by_topic[event_abi_to_log_topic(abi)] = abi["name"]
    logs = contract.w3.eth.get_logs(
        {
            "address": contract.address,
            "fromBlock": from_block,
            "toBlock": "latest",
            "topics": [[Web3.to_hex(t) for t in by_topic], Web3.to_hex(period_id)],
        }
    )
    out = []
    for log in logs:
        name = by_topic[bytes(log["topics"][0])]
        data = contract.events[name]().process_log(log)
        out.append(
            {
                "event": name,
                "args": {k: _plain(v) for k, v in data["args"].items()},
                "block_number": int(log["blockNumber"]),
                "log_index": int(log["logIndex"]),
                "tx_hash": Web3.to_hex(log["transactionHash"]),
            }
        )
    return sorted(out, key=lambda e: (e["block_number"], e["log_index"]))
