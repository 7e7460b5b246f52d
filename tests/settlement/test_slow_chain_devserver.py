"""`make run` against a chain that mines every 2 s: deploy, settle over HTTP, pay a debit."""

from __future__ import annotations

import json
import signal
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ledger.anvil import start_anvil, stop_anvil
from ledger.chain import Chain
from tests.api.test_devserver import free_port, plain_env, require_anvil, start, wait_line
from tests.procs import reaped_env

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.anvil
# anvil's public dev accounts 1-3 (funded on every anvil): the prosumers' wallets
KEYS = [
    "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
    "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
]
READINGS = [(5000, 1000), (0, 3000), (4000, 500)]  # (produced_wh, consumed_wh)
GRID = {
    "name": "slow chain",
    "timezone": "UTC",
    "timeframe_minutes": 1440,
    "currency": "EUR",
    "import_price": "0.30",
    "feed_in_price": "0.10",
}


def call(method: str, url: str, token: str, body: Any = None) -> tuple[int, Any, Any]:
    """(status, headers, JSON body) of one request; errors are returned, not raised."""
    data = None if body is None else json.dumps(body).encode()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as resp:
            return resp.status, resp.headers, json.load(resp)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, json.load(exc)


def ok(method: str, url: str, token: str, body: Any = None) -> Any:
    status, _, data = call(method, url, token, body)
    assert 200 <= status < 300, (method, url, status, data)
    return data


def poll(what: Callable[[], Any], timeout_s: float = 120.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = what()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"not reached within {timeout_s}s")


def month_of_readings(base: str, token: str) -> tuple[str, list[str]]:
    """A UTC daily grid with three prosumers (dev wallets 1-3), a day of readings, all closed."""
    grid = ok("POST", f"{base}/grids", token, GRID)["id"]
    prosumers = []
    for n, key in enumerate(KEYS):
        body = {"name": f"p{n}", "address": f"street {n}", "kind": "household"}
        body["wallet"] = Account.from_key(key).address
        prosumers.append(ok("POST", f"{base}/grids/{grid}/prosumers", token, body)["id"])
    lines = [
        {"prosumer_id": pid, "produced_wh": p, "consumed_wh": c}
        for pid, (p, c) in zip(prosumers, READINGS, strict=True)
    ]
    day = f"{base}/grids/{grid}/timeframes/2026-10-%02dT00:00:00Z"
    ok("PUT", day % 1 + "/readings", token, {"readings": lines})
    for d in range(1, 32):
        ok("POST", day % d + "/close", token)
    return grid, prosumers


def pay(base: str, token: str, chain: Chain, line: dict[str, Any]) -> None:
    """The debtor signs the instructions and posts them; 200 or 202, then the GET shows paid."""
    key = ok(
        "POST", f"{base}/keys", token, {"role": "prosumer", "prosumer_id": line["prosumer_id"]}
    )
    url = f"{base}/prosumers/{line['prosumer_id']}/statements/2026-10/payment"
    instr = ok("GET", url, key["secret"])
    account = Account.from_key(
        KEYS[[Account.from_key(k).address for k in KEYS].index(line["account"])]
    )
    tx = {
        "to": instr["to"],
        "data": instr["data"],
        "value": int(instr["value"]),
        "chainId": instr["chain_id"],
        "nonce": chain.w3.eth.get_transaction_count(account.address, "pending"),
        "gas": 300_000,
        **chain.fees().fields(),
    }
    raw = "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()
    status, headers, body = call("POST", url, key["secret"], {"signed_tx": raw})
    assert status in (200, 202), body
    assert body["status"] == ("pending" if status == 202 else "paid")
    if status == 202:
        assert headers["Location"].endswith(url.split("/api/v1")[1])
    poll(lambda: ok("GET", url, key["secret"])["status"] == "paid")


def test_make_run_on_a_chain_with_2s_blocks_deploys_settles_and_pays(tmp_path: Path) -> None:
    require_anvil()
    ledger_port, port = free_port(), free_port()
    anvil = start_anvil(ledger_port, None, block_time=2)
    try:
        with reaped_env(plain_env()) as env:  # no devserver or gunicorn outlives a failure
            env.update(LEDGER_URL=f"http://127.0.0.1:{ledger_port}", PAYMENT_WAIT_S="0.5")
            settle_and_pay(tmp_path, port, env)
    finally:
        stop_anvil(anvil)


def settle_and_pay(tmp_path: Path, port: int, env: dict[str, str]) -> None:
    """`make run` on the slow chain: deploy, settle over HTTP, pay a debit; stop with SIGINT."""
    base, log = f"http://127.0.0.1:{port}/api/v1", tmp_path / "devserver.log"
    proc = start(tmp_path / "var", port, free_port(), log, env, "--no-demo")  # its own grid only
    output = wait_line(proc, log, "ready: Swagger UI", timeout_s=120)
    assert "deployed Settlement" in output
    token = output.split("first admin key (shown once, keep it): ")[1].split()[0]
    grid, _ = month_of_readings(base, token)
    status, headers, _ = call(
        "POST", f"{base}/grids/{grid}/settlements", token, {"month": "2026-10"}
    )
    assert status == 202
    run_url = f"http://127.0.0.1:{port}{headers['Location']}"
    run = poll(lambda: (r := ok("GET", run_url, token))["status"] == "settled" and r)
    assert run["error"] is None and len(run["transactions"]) >= 2
    debit = next(line for line in run["lines"] if line["kind"] == "debit")
    pay(base, token, Chain.connect(env["LEDGER_URL"]), debit)
    assert ok("GET", run_url, token)["totals"]["debits_paid"] == 1
    proc.send_signal(signal.SIGINT)
    proc.wait(timeout=30)
