"""Gas per credited prosumer in a batch of 500 on the npm anvil, funded and unfunded wallets.

Run: .venv/bin/python tests/bench/bench_gas.py   (not collected by pytest)
"""

from __future__ import annotations

import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "ledger")]

from eth_account import Account  # noqa: E402
from merkle_ref import leaf, proof, root  # noqa: E402
from refuser import deploy_refuser  # noqa: E402

from ledger.anvil import start_anvil, stop_anvil  # noqa: E402
from ledger.chain import Chain  # noqa: E402
from models.domain.statements import grid_key, period_id  # noqa: E402

BATCH = 500
WEI_PER_MINOR = 10**13
PORT = 18645


def fund(chain: Chain, addresses: list[str], wei: int) -> None:
    """Send `wei` to every address, back to back, and wait for the last."""
    nonces = chain.nonce_manager()
    last = ""
    for address in addresses:
        last = chain.send_raw(chain.sign_transfer(address, wei, nonces.next()).raw)
    chain.wait_receipt(last, timeout_s=60)


def credit_gas(chain: Chain, address: str, pid: bytes, first: int, accounts: list[str]) -> int:
    """gasUsed of one pay_credits batch over `accounts` starting at index `first`."""
    items = [(first + i, acct, (i + 1) * WEI_PER_MINOR) for i, acct in enumerate(accounts)]
    signed = chain.pay_credits(address, pid, items, chain.nonce_manager().next())
    return int(chain.wait_receipt(chain.send_raw(signed.raw), timeout_s=60)["gasUsed"])


def debit_gas(chain: Chain, address: str, n_leaves: int) -> tuple[int, int]:
    """gasUsed of one pay_debit in a tree of `n_leaves`, and its proof length."""
    payer = Account.create()
    fund(chain, [payer.address], 10**18)
    key = grid_key(str(uuid.uuid4()))
    items = [(payer.address if i == 0 else "0x" + f"{i:040x}", -(i + 1)) for i in range(n_leaves)]
    leaves = [leaf(key, 202610, i, a, amt) for i, (a, amt) in enumerate(items)]
    pid = period_id(key, 202610)
    post = chain.post_root(
        address, pid, root(leaves), n_leaves, WEI_PER_MINOR, chain.nonce_manager().next()
    )
    chain.wait_receipt(chain.send_raw(post.raw))
    call = chain.debit_call(
        address, key, 202610, 0, payer.address, -1, WEI_PER_MINOR, proof(leaves, 0)
    )
    base = int(chain.w3.eth.get_block("latest")["baseFeePerGas"])
    tx = {
        "to": call["to"],
        "data": call["data"],
        "value": call["value"],
        "chainId": call["chain_id"],
        "nonce": 0,
        "gas": 300_000,
        "maxFeePerGas": 2 * base + 10**9,
        "maxPriorityFeePerGas": 10**9,
    }
    raw = "0x" + bytes(payer.sign_transaction(tx).raw_transaction).hex()
    receipt = chain.wait_receipt(chain.send_raw(chain.check_debit_tx(raw, call).raw))
    return int(receipt["gasUsed"]), len(proof(leaves, 0))


def run(chain: Chain) -> None:
    """Deploy, post a period of 2 × BATCH + 3 items and pay it in batches; print gas."""
    address = chain.deploy()
    pid = period_id(grid_key(str(uuid.uuid4())), 202610)
    count = 2 * BATCH + 3
    signed = chain.post_root(
        address, pid, b"\x01" * 32, count, WEI_PER_MINOR, chain.nonce_manager().next()
    )
    post_gas = int(chain.wait_receipt(chain.send_raw(signed.raw))["gasUsed"])
    funded = [Account.create().address for _ in range(BATCH)]
    fresh = [Account.create().address for _ in range(BATCH)]
    fund(chain, funded, 1)
    single = credit_gas(chain, address, pid, 2 * BATCH, [Account.create().address])
    one_funded = credit_gas(chain, address, pid, 2 * BATCH + 1, funded[:1])
    refused = credit_gas(chain, address, pid, 2 * BATCH + 2, [deploy_refuser(chain)])
    gas_funded = credit_gas(chain, address, pid, 0, funded)
    gas_fresh = credit_gas(chain, address, pid, BATCH, fresh)
    print(f"post_root: {post_gas} gas")
    print(f"pay_credits batch of 1 (new wallet): {single} gas")
    print(f"pay_credits batch of 1 (funded wallet): {one_funded} gas")
    print(f"pay_credits batch of 1 (wallet refusing ether, deferred): {refused} gas")
    for label, gas in (("funded wallets", gas_funded), ("never-funded wallets", gas_fresh)):
        print(
            f"pay_credits batch of {BATCH}, {label}: {gas} gas total, "
            f"{gas / BATCH:.0f} gas per credited prosumer (incl. 21000 base tx / {BATCH})"
        )
    for n in (2, 1000, 100_000):
        gas, depth = debit_gas(chain, address, n)
        print(f"pay_debit with a proof of {depth} (tree of {n}): {gas} gas")


def main() -> None:
    """Start a throwaway anvil, measure, stop it."""
    with tempfile.TemporaryDirectory() as tmp:
        proc = start_anvil(PORT, Path(tmp) / "state.json")
        try:
            run(Chain.connect(f"http://127.0.0.1:{PORT}", timeout_s=30))
        finally:
            stop_anvil(proc)


if __name__ == "__main__":
    main()
