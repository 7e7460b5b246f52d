"""Deploy the test-only Refuser contract (tests/ledger/contracts/Refuser.vy) and call its claim."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from eth_utils import to_checksum_address

from ledger.chain import Chain
from ledger.contract import compile_source

SOURCE = Path(__file__).with_name("contracts") / "Refuser.vy"


@cache
def _compiled() -> tuple[list[dict[str, Any]], str]:
    """(abi, bytecode) of Refuser.vy."""
    return compile_source(SOURCE.read_text())


def deploy_refuser(chain: Chain) -> str:
    """Deploy a Refuser with the operator key; its checksummed address."""
    abi, bytecode = _compiled()
    factory = chain.w3.eth.contract(abi=abi, bytecode=bytecode)
    signed = chain.build_and_sign(factory.constructor(), 0, chain.nonce_manager().next())
    receipt = chain.wait_receipt(chain.send_raw(signed.raw))
    return str(to_checksum_address(receipt["contractAddress"]))


def claim_through(chain: Chain, refuser: str, settlement: str, to: str) -> dict[str, Any]:
    """Have the Refuser claim its owed balance from `settlement` to `to`; the receipt."""
    abi, _ = _compiled()
    fn = chain.w3.eth.contract(address=to_checksum_address(refuser), abi=abi).functions.claim(
        to_checksum_address(settlement), to_checksum_address(to)
    )
    signed = chain.build_and_sign(fn, 0, chain.nonce_manager().next())
    return chain.wait_receipt(chain.send_raw(signed.raw))
