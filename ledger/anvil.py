"""The local anvil node installed from npm: find, start with persisted state, stop; and a CLI."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import IO

from ledger.errors import LedgerUnavailable

REPO_ROOT = Path(__file__).resolve().parents[1]
# Funded dev accounts: 0 is the operator, 1-9 are free for your own prosumers, 10-49 are the
# demo grid's wallets (models/services/demo_grid.py).
ACCOUNTS = 50
ANVIL_BIN = REPO_ROOT / "node_modules" / ".bin" / "anvil"


def find_anvil() -> str:
    """Path of the project's anvil (node_modules/.bin/anvil); FileNotFoundError if not installed."""
    if not ANVIL_BIN.exists():
        raise FileNotFoundError(f"anvil not found at {ANVIL_BIN}: run `npm ci` in {REPO_ROOT}")
    return str(ANVIL_BIN)


def _platform_binary() -> str:
    """The native binary from the platform package, so signals and exit reach anvil itself."""
    wrapper = find_anvil()
    system = platform.system().lower().replace("windows", "win32")
    arch = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64"}.get(
        platform.machine().lower(), platform.machine().lower()
    )
    native = REPO_ROOT / "node_modules" / "@foundry-rs" / f"anvil-{system}-{arch}" / "bin" / "anvil"
    return str(native) if os.access(native, os.X_OK) else wrapper


def _port_free(port: int) -> bool:
    """True if nothing listens on 127.0.0.1:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) != 0


def rpc_chain_id(url: str, timeout_s: float = 1.0) -> int:
    """Ask a node for eth_chainId over plain HTTP."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
    req = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout_s) as resp:
        return int(json.load(resp)["result"], 16)


def _poll_ready(
    proc: subprocess.Popen[bytes], port: int, log: IO[bytes] | None, timeout_s: float
) -> None:
    """Poll eth_chainId until it answers; raise with anvil's own output if it exits first."""
    deadline = time.monotonic() + timeout_s
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            output = ""
            if log is not None:
                log.seek(0)
                output = log.read().decode(errors="replace")[-2000:]
            raise LedgerUnavailable(f"anvil exited with code {proc.returncode}: {output}")
        try:
            rpc_chain_id(url, timeout_s=0.5)
            return
        except OSError:
            time.sleep(0.05)
    raise LedgerUnavailable(f"anvil did not answer on {url} within {timeout_s}s")


def _wait_ready(
    proc: subprocess.Popen[bytes], port: int, log: IO[bytes] | None, timeout_s: float
) -> None:
    """Wait until the node answers; on any failure (an interrupt included) stop it first."""
    try:
        _poll_ready(proc, port, log, timeout_s)
    except BaseException:
        stop_anvil(proc)
        raise


def start_anvil(
    port: int,
    state_path: Path | None,
    chain_id: int = 31337,
    *,
    quiet: bool = True,
    timeout_s: float = 20.0,
    block_time: float | None = None,
) -> subprocess.Popen[bytes]:
    """Start anvil on 127.0.0.1:port (state in `state_path`, a block every `block_time` s)."""
    binary = _platform_binary()
    if not _port_free(port):
        raise LedgerUnavailable(f"port {port} is already in use")
    args = [binary, "--host", "127.0.0.1", "--port", str(port), "--chain-id", str(chain_id)]
    args += ["--accounts", str(ACCOUNTS)]
    if state_path is not None:
        state_path.parent.mkdir(parents=True, exist_ok=True)
        # dumped on exit and every 2 s, so a killed node loses at most the last seconds
        args += ["--state", str(state_path), "--state-interval", "2"]
    if block_time:
        args += ["--block-time", str(block_time)]
    with tempfile.TemporaryFile() if quiet else contextlib.nullcontext() as log:
        proc = subprocess.Popen(args, stdout=log, stderr=log, start_new_session=True)
        _wait_ready(proc, port, log, timeout_s)
    return proc


def _group_alive(pgid: int) -> bool:
    """True while any non-zombie process of the group remains."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def stop_anvil(proc: subprocess.Popen[bytes], timeout_s: float = 15.0) -> None:
    """SIGTERM anvil's process group and wait until the node has exited (and dumped its state)."""
    pgid = proc.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + timeout_s
    with contextlib.suppress(subprocess.TimeoutExpired):
        proc.wait(timeout=timeout_s)
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)
    if _group_alive(pgid):
        os.killpg(pgid, signal.SIGKILL)
        proc.wait()


def _interrupted(signum: int, frame: FrameType | None) -> None:
    """SIGINT or SIGTERM: unwind through main's `finally`, which stops the node."""
    raise KeyboardInterrupt


def _on_stop_signals(handler: signal.Handlers | Callable[[int, FrameType | None], None]) -> None:
    """Set the handler of SIGINT and SIGTERM."""
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, handler)


def main(argv: list[str] | None = None) -> int:
    """Run anvil in the foreground until interrupted: `python -m ledger.anvil --port 8545`."""
    parser = argparse.ArgumentParser(prog="python -m ledger.anvil", description=main.__doc__)
    parser.add_argument("--port", type=int, default=8545)
    parser.add_argument("--state", type=Path, default=None, help="state file kept across restarts")
    parser.add_argument("--chain-id", type=int, default=31337)
    args = parser.parse_args(argv)
    # Installed explicitly: a shell starts background jobs with SIGINT ignored, and Python keeps an
    # inherited SIG_IGN; the default SIGTERM would exit without stopping the node (own session).
    _on_stop_signals(_interrupted)
    try:
        proc = start_anvil(args.port, args.state, args.chain_id, quiet=False)
    except KeyboardInterrupt:  # interrupted while starting: start_anvil has stopped the node
        return 130
    try:
        print(f"anvil ready on http://127.0.0.1:{args.port} (chain id {args.chain_id})", flush=True)
        return proc.wait()
    except KeyboardInterrupt:
        return 0
    finally:
        _on_stop_signals(signal.SIG_IGN)  # a second Ctrl-C must not cut the stop short
        stop_anvil(proc)


if __name__ == "__main__":
    raise SystemExit(main())
