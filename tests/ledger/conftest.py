"""Fixtures: a `chain` on eth-tester (always) and on the npm anvil, a deployed contract, wallets."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from chain_helpers import free_port, mined, require_anvil
from eth_account import Account
from eth_account.signers.local import LocalAccount

from ledger.anvil import start_anvil, stop_anvil
from ledger.chain import Chain


@pytest.fixture(scope="session")
def anvil_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One anvil node for the session, state in a temporary file."""
    require_anvil()
    port = free_port()
    proc = start_anvil(port, tmp_path_factory.mktemp("anvil") / "state.json")
    yield f"http://127.0.0.1:{port}"
    stop_anvil(proc)


@pytest.fixture(params=["eth-tester", pytest.param("anvil", marks=pytest.mark.anvil)])
def chain(request: pytest.FixtureRequest) -> Chain:
    """A Chain client on eth-tester (fresh per test) or on the session's anvil."""
    if request.param == "eth-tester":
        return Chain.connect("eth-tester://")
    return Chain.connect(request.getfixturevalue("anvil_url"))


@pytest.fixture
def address(chain: Chain) -> str:
    """A freshly deployed Settlement contract owned by the operator."""
    return chain.deploy()


@pytest.fixture
def wallet(chain: Chain) -> Callable[[int], LocalAccount]:
    """Make a new prosumer wallet holding `wei` (0 leaves it never funded)."""

    def make(wei: int = 10**18) -> LocalAccount:
        account = Account.create()
        if wei:
            nonce = chain.nonce_manager().next()
            mined(chain, chain.sign_transfer(account.address, wei, nonce))
        return account

    return make


@pytest.fixture
def state_file(tmp_path: Path) -> Path:
    """Where a test's own anvil keeps its state."""
    return tmp_path / "anvil" / "state.json"
