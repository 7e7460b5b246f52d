"""The npm anvil: found in node_modules, started with persisted state, restarted, run as a CLI."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest
from chain_helpers import free_port, post, require_anvil, statement

from ledger import anvil
from ledger.anvil import REPO_ROOT, start_anvil, stop_anvil
from ledger.chain import Chain
from ledger.errors import LedgerUnavailable
from tests.procs import TAG, kill_tagged, reaped_env, tagged_pids

pytestmark = pytest.mark.anvil


def test_a_restart_on_the_same_state_file_keeps_the_contract(state_file: Path) -> None:
    """Code, storage, nonce, receipts and logs all survive a stop and start."""
    require_anvil()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = start_anvil(port, state_file)
    try:
        chain = Chain.connect(url)
        address = chain.deploy()
        st = statement([("0x" + "aa" * 20, 3)])
        post(chain, address, st)
        (posted,) = chain.events(address, st.period_id)
    finally:
        stop_anvil(proc)
    assert state_file.stat().st_size > 0
    with pytest.raises(LedgerUnavailable):
        Chain.connect(url, timeout_s=1.0).ping()
    proc = start_anvil(port, state_file)
    try:
        chain = Chain.connect(url)
        assert chain.has_code(address)
        assert chain.period_state(address, st.period_id)["root"] == "0x" + st.root.hex()
        assert chain.nonce_manager().peek() == 2
        assert chain.events(address, st.period_id) == [posted]
        assert chain.receipt_or_none(posted["tx_hash"])["status"] == 1
    finally:
        stop_anvil(proc)


def test_a_missing_binary_says_run_npm_ci(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(anvil, "ANVIL_BIN", tmp_path / "node_modules" / ".bin" / "anvil")
    with pytest.raises(FileNotFoundError, match="run `npm ci`"):
        anvil.find_anvil()
    with pytest.raises(FileNotFoundError, match="run `npm ci`"):
        start_anvil(free_port(), None)


def test_a_busy_port_is_refused(anvil_url: str) -> None:
    with pytest.raises(LedgerUnavailable, match="already in use"):
        start_anvil(int(anvil_url.rsplit(":", 1)[1]), None)


def run_cli_until(state_file: Path, signum: int, env: dict[str, str]) -> int:
    """Start `python -m ledger.anvil`, wait for its node, send `signum`; return the exit code."""
    port = free_port()
    cmd = [sys.executable, "-m", "ledger.anvil", "--port", str(port), "--state", str(state_file)]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            if "anvil ready" in line:
                break
        assert Chain.connect(f"http://127.0.0.1:{port}").ping() == 0
        proc.send_signal(signum)
        proc.communicate(timeout=20)
        return proc.returncode
    finally:
        kill_tagged(env[TAG])  # the CLI and its node, which also holds the stdout pipe open
        proc.communicate()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_the_cli_runs_in_the_foreground_until_interrupted(state_file: Path, signum: int) -> None:
    """Even started with SIGINT ignored (a shell's background job), a signal stops the node."""
    require_anvil()
    with reaped_env() as env:
        ignored = signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited by the CLI
        try:
            code = run_cli_until(state_file, signum, env)
        finally:
            signal.signal(signal.SIGINT, ignored)
        assert code == 0
        assert state_file.exists()
        assert tagged_pids(env[TAG]) == []  # the node is gone too, not only the CLI
