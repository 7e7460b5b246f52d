"""Decoding signed raw transactions (legacy EIP-155 and typed EIP-2718) without a node."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_account import Account
from eth_account._utils.legacy_transactions import Transaction
from eth_account._utils.signing import extract_chain_id
from eth_account.typed_transactions.typed_transaction import TypedTransaction
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from ledger.errors import LedgerError


@dataclass(frozen=True)
class DecodedTx:
    """What a signed transaction says: who signed it, where it goes, what it carries."""

    sender: str
    to: str | None
    data: str
    value: int
    chain_id: int | None
    nonce: int
    gas: int
    tx_hash: str
    raw: str


def _fields(raw: HexBytes) -> dict[str, Any]:
    """The unsigned fields of a raw transaction as {to, data, value, chain_id, nonce, gas}."""
    if raw[0] <= 0x7F:
        tx = TypedTransaction.from_bytes(raw).as_dict()
        chain_id = tx.get("chainId")
    else:
        tx = Transaction.from_bytes(raw).as_dict()
        chain_id, _ = extract_chain_id(tx["v"])
    to = tx.get("to") or None
    return {
        "to": to_checksum_address(to) if to else None,
        "data": "0x" + bytes(HexBytes(tx.get("data", b""))).hex(),
        "value": int(tx["value"]),
        "chain_id": None if chain_id is None else int(chain_id),
        "nonce": int(tx["nonce"]),
        "gas": int(tx["gas"]),
    }


RESIGNED = (
    "to",
    "data",
    "value",
    "nonce",
    "gas",
    "chainId",
    "maxFeePerGas",
    "maxPriorityFeePerGas",
)


def fee_fields(raw_signed_tx: str) -> dict[str, Any]:
    """The unsigned fields of a typed (EIP-1559) transaction, to re-sign it with other fees."""
    tx = TypedTransaction.from_bytes(HexBytes(raw_signed_tx)).as_dict()
    fields = {k: tx[k] for k in RESIGNED if k in tx}
    if fields.get("to"):
        fields["to"] = to_checksum_address(fields["to"])
    else:
        fields.pop("to", None)
    return fields


def decode_raw_tx(raw_signed_tx: str | bytes) -> DecodedTx:
    """Decode a signed transaction and recover its sender; LedgerError if it is malformed."""
    raw = HexBytes(raw_signed_tx)
    if not raw:
        raise LedgerError("empty raw transaction")
    try:
        fields = _fields(raw)
        sender = Account.recover_transaction(raw)
    except Exception as exc:  # rlp, signature and type errors all mean "not a valid tx"
        raise LedgerError(f"not a valid signed transaction: {exc}") from exc
    return DecodedTx(
        sender=to_checksum_address(sender),
        tx_hash="0x" + keccak(raw).hex(),
        raw="0x" + bytes(raw).hex(),
        **fields,
    )


def mismatches(decoded: DecodedTx, expected: Mapping[str, Any], chain_id: int) -> list[str]:
    """How a decoded transaction differs from expected {from, to, data, value, chain_id}."""
    problems = []
    if decoded.sender.lower() != str(expected["from"]).lower():
        problems.append(f"signed by {decoded.sender}, expected {expected['from']}")
    if (decoded.to or "").lower() != str(expected["to"]).lower():
        problems.append(f"sent to {decoded.to}, expected {expected['to']}")
    if decoded.data.lower() != str(expected["data"]).lower():
        problems.append("call data differs from the expected pay_debit call")
    if decoded.value != int(expected["value"]):
        problems.append(f"value {decoded.value} wei, expected {expected['value']}")
    if decoded.chain_id != chain_id or decoded.chain_id != int(expected["chain_id"]):
        problems.append(f"chain id {decoded.chain_id}, expected {chain_id}")
    return problems
