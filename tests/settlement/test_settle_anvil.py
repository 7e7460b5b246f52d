"""On anvil (instant and 2 s blocks): `flask settle` SIGKILLed at several points, then re-run,
pays each credit once."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from models.services.settlement.run import ITEMS
from tests.conftest import make_test_app
from tests.ledger.refuser import claim_through
from tests.settlement.conftest import anvil_stores
from tests.settlement.world import MONTH, add_readings, build_grid, close_month, refusing_world

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.anvil


def settle_cli(env: dict[str, str], world: Any, crash: str | None) -> subprocess.CompletedProcess:
    """Run `flask settle` in a subprocess, optionally SIGKILLed at a named phase."""
    run_env = {**os.environ, **env, "MINIGRID_CRASH_AT": crash or ""}
    args = [sys.executable, "-m", "flask", "--app", "wsgi", "settle", "--grid", world.grid_id]
    args += ["--month", MONTH, "--batch-size", "1"]
    return subprocess.run(args, env=run_env, cwd=ROOT, capture_output=True, text=True, timeout=60)


def settle_here(env: dict[str, str], world: Any, tmp_path: Path) -> Any:
    """`flask settle` in this process, on a new app over the same stores and chain: the re-runs
    after the kills need no process start-up of their own."""
    app = make_test_app(env["DATABASE_URL"], tmp_path, LEDGER_URL=env["LEDGER_URL"])
    args = ["settle", "--grid", world.grid_id, "--month", MONTH, "--batch-size", "1"]
    try:
        return app.test_cli_runner().invoke(args=args)
    finally:
        app.extensions["minigrid"].close()


@pytest.mark.parametrize("anvil_url", ["instant", "block-time-2"], indirect=True)
def test_sigkill_at_any_point_then_rerun_pays_each_credit_once(
    anvil_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    env, container = anvil_stores(anvil_url, sqlite_template, tmp_path)
    accounts = [Account.create() for _ in range(10)]
    world = build_grid(container, [a.address for a in accounts])
    add_readings(container, world)
    close_month(container, world)
    chain = container.chain
    before = [chain.balance(a.address) for a in accounts]
    crashes = ["after_record_sent:1", "after_broadcast:2", "after_confirm:2"]
    for crash in crashes:
        done = settle_cli(env, world, crash)
        assert done.returncode == -9, (crash, done.stdout, done.stderr)
    final = settle_here(env, world, tmp_path)
    assert final.exit_code == 0, final.output
    assert "settled" in final.output
    again = settle_here(env, world, tmp_path)
    assert "0 sent by this run" in again.output
    items = container.documents.collection(ITEMS).find({"run": f"{world.grid_id}:{MONTH}"})
    credits = {i["account"]: int(i["amount_wei"]) for i in items if i["kind"] == "credit"}
    assert len(credits) >= 4
    for account, was in zip(accounts, before, strict=True):
        assert chain.balance(account.address) - was == credits.get(account.address, 0)
    pid = bytes.fromhex(
        container.documents.collection("settlements").get(f"{world.grid_id}:{MONTH}")["period_id"][
            2:
        ]
    )
    bits = chain.settled_bits(_contract(container), pid, [i["index"] for i in items])
    assert all(bits[i["index"]] == (i["kind"] == "credit") for i in items)
    container.close()


def _contract(container: Any) -> str:
    from models.services.settlement.ledger_status import recorded_contract

    return str(recorded_contract(container))


def test_a_refused_credit_is_deferred_across_a_sigkill(
    anvil_url: str, sqlite_template: Path, tmp_path: Path
) -> None:
    env, container = anvil_stores(anvil_url, sqlite_template, tmp_path)
    accounts = [Account.create() for _ in range(5)]
    world, refuser = refusing_world(container, accounts)
    killed = settle_cli(env, world, "after_broadcast:3")  # root, batch 0, then batch 1
    assert killed.returncode == -9, (killed.stdout, killed.stderr)
    final = settle_here(env, world, tmp_path)
    assert final.exit_code == 0, final.output
    assert "settled" in final.output and "deferred     1 credits" in final.output
    items = container.documents.collection(ITEMS).find({"run": f"{world.grid_id}:{MONTH}"})
    credits = {i["account"]: i for i in items if i["kind"] == "credit"}
    assert credits[refuser]["status"] == "deferred"
    assert all(i["status"] == "confirmed" for a, i in credits.items() if a != refuser)
    for account in accounts[1:]:
        item = credits.get(account.address)
        assert container.chain.balance(account.address) == (int(item["amount_wei"]) if item else 0)
    contract = _contract(container)
    assert container.chain.owed(contract, refuser) == int(credits[refuser]["amount_wei"])
    to = Account.create().address
    claim_through(container.chain, refuser, contract, to)
    assert container.chain.balance(to) == int(credits[refuser]["amount_wei"])
    container.close()
