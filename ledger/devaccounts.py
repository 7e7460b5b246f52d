"""Anvil's deterministic dev accounts: the public test mnemonic's keys (never use them for value).

`anvil --accounts N` funds the first N of them with 10,000 ether each at genesis.
"""

from __future__ import annotations

from eth_account import Account
from eth_account.hdaccount import key_from_seed, seed_from_mnemonic

MNEMONIC = "test test test test test test test test test test test junk"
PATH = "m/44'/60'/0'/0/{index}"


def dev_keys(first: int, count: int) -> list[tuple[str, str]]:
    """(address, 0x private key) of accounts first .. first + count - 1."""
    seed = seed_from_mnemonic(MNEMONIC, "")
    out = []
    for index in range(first, first + count):
        key = key_from_seed(seed, PATH.format(index=index))
        out.append((Account.from_key(key).address, "0x" + key.hex()))
    return out
