"""README's "A first month, with curl", run as written: bash, curl, sign.py, verify.py, devserver.

The shell blocks are run with bash in order, the Python blocks saved under the name on their
first line, against a real devserver (gunicorn, anvil) on free ports, once it has built the demo
grid (the walkthrough starts from it: this is the end-to-end check of `make run`'s demo). Only
the line that sets the two URLs is changed, to those ports.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from tests.api.test_devserver import (
    ROOT,
    free_port,
    halt,
    http,
    plain_env,
    require_anvil,
    start,
    wait_line,
)
from tests.procs import reaped_env

pytestmark = pytest.mark.anvil

SECTION = "### A first month, with curl"
URLS = "API=http://127.0.0.1:8000/api/v1; RPC=http://127.0.0.1:8545"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)


def walkthrough() -> tuple[str, dict[str, str]]:
    """The section's shell blocks joined in order, and its Python blocks by file name."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index(SECTION) :]
    section = section[: section.index("\n## ")]
    shell, files = [], {}
    for lang, body in BLOCK.findall(section):
        if lang == "python":
            files[body.split()[1]] = body  # first line: "# sign.py ..."
        else:
            assert lang == "sh", lang
            shell.append(body)
    return "\n".join(shell), files


def require_curl() -> None:
    """Skip without curl, except under CI where it must be there."""
    if shutil.which("curl") is None:
        pytest.fail("curl not installed") if os.environ.get("CI") else pytest.skip("no curl")


def workdir(tmp_path: Path, files: dict[str, str]) -> Path:
    """A directory that looks like the repository to the walkthrough: .venv, wsgi.py, scripts."""
    cwd = tmp_path / "user"
    cwd.mkdir()
    (cwd / ".venv").symlink_to(Path(sys.prefix))
    (cwd / "wsgi.py").symlink_to(ROOT / "wsgi.py")
    for name, body in files.items():
        (cwd / name).write_text(body)
    return cwd


def test_the_readme_sections_are_where_the_test_looks() -> None:
    shell, files = walkthrough()
    assert sorted(files) == ["sign.py", "verify.py"]
    assert shell.count(URLS) == 1
    assert "8000" not in shell.replace(URLS, "") and "8545" not in shell.replace(URLS, "")
    assert all("8545" not in body for body in files.values())
    assert ".venv/bin/python sign.py" in shell and "python3 verify.py" in shell
    selector = "0x" + keccak(text="roots(bytes32)")[:4].hex()
    assert f'"data": "{selector}" + period_id.hex()' in files["verify.py"]


def test_a_first_month_with_curl_runs_as_written(tmp_path: Path) -> None:
    require_anvil()
    require_curl()
    shell, files = walkthrough()
    cwd = workdir(tmp_path, files)
    with reaped_env(plain_env()) as env:
        port, ledger_port, var = free_port(), free_port(), tmp_path / "var"
        log = tmp_path / "devserver.log"
        proc = start(var, port, ledger_port, log, env)
        try:
            admin = wait_line(proc, log, "ready: Swagger UI").split("(shown once, keep it): ")[1]
            demo = wait_line(proc, log, "settle last month: ", timeout_s=240)
            assert "demo grid created in" in demo and "40 prosumers, 121 assets" in demo
            api, rpc = f"http://127.0.0.1:{port}/api/v1", f"http://127.0.0.1:{ledger_port}"
            stores = {  # what the README tells `flask` commands for a devserver with --var
                "ADMIN": admin.split()[0],
                "DATABASE_URL": f"sqlite:///{var / 'minigrid.db'}",
                "MONGO_URL": f"sqlite:///{var / 'documents.db'}",
                "LEDGER_URL": rpc,
            }
            done = subprocess.run(
                ["bash", "-euo", "pipefail", "-c", shell.replace(URLS, f"API={api}; RPC={rpc}")],
                cwd=cwd,
                env={**env, **stores},
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert done.returncode == 0, done.stdout + done.stderr
            check_outcome(cwd, done.stdout, rpc, api, stores["ADMIN"])
        finally:
            halt(proc)


def paid_statement(cwd: Path, stdout: str, api: str, admin: str) -> dict[str, Any]:
    """The statement once paid: at once on the dev chain, after a 202 `pending` on a slow one."""
    answer = json.loads([line for line in stdout.splitlines() if '"tx_hash"' in line][-1])
    assert answer["status"] in ("paid", "pending"), answer
    statement = json.loads((cwd / "statement.json").read_text())
    url = f"{api}/prosumers/{statement['prosumer_id']}/statements/2026-10"
    deadline = time.monotonic() + 60
    while statement["status"] != "paid" and time.monotonic() < deadline:
        time.sleep(0.5)
        statement = http("GET", url, admin)
    assert statement["status"] == "paid", statement
    return statement


def check_outcome(cwd: Path, stdout: str, rpc: str, api: str, admin: str) -> None:
    """The debit is paid once, as the README says, and verify.py refuses a changed statement."""
    statement = paid_statement(cwd, stdout, api, admin)
    assert statement["amount_minor"] == -36 and int(statement["amount_wei"]) == 36 * 10**13
    assert f"is in root {statement['root']} on chain" in stdout
    demo, grid = re.findall(r"^grid\s+(\S+)$", stdout, re.M)  # the demo's settle, then ours
    assert len(re.findall(r"^status\s+settled$", stdout, re.M)) == 2 and demo != grid
    statement["amount_minor"] -= 1
    statement["lines"][0]["paid_minor"] += 1  # consistent, so only the chain can tell
    (cwd / "statement.json").write_text(json.dumps(statement))
    tampered = subprocess.run(
        ["python3", "verify.py", rpc, grid], cwd=cwd, capture_output=True, text=True
    )
    assert tampered.returncode != 0 and "root on chain" in tampered.stderr
