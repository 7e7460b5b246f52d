"""Settling a month of 1,000 prosumers on a real anvil: planning time, chain time, gas.

Run: .venv/bin/python tests/bench/bench_settlement.py [PROSUMERS [TRADE_TIMEFRAMES_PER_DAY]]
(not collected by pytest).
Trades are cleared by the domain (`clear_timeframe`) from random nets and written straight to the
transaction store, 4 timeframes a day by default; every 15-minute timeframe of the month
gets a `closed` row in the registry. The wallets of the first batch of credits are funded with
1 wei first, so the two batches show gas for existing and for fresh accounts.
"""

from __future__ import annotations

import random
import sys
import tempfile
import time
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from eth_utils import to_checksum_address  # noqa: E402

from ledger.anvil import start_anvil, stop_anvil  # noqa: E402
from models.domain.clearing import Prices, clear_timeframe, trade_doc  # noqa: E402
from models.domain.timeframes import format_instant, month_bounds, timeframe_starts  # noqa: E402
from models.services import registry as reg  # noqa: E402
from models.services.clock import naive_utc, utcnow  # noqa: E402
from models.services.settlement.ledger_status import deploy_contract  # noqa: E402
from models.services.settlement.plan import plan_month  # noqa: E402
from models.services.settlement.run import TXS, run_key  # noqa: E402
from models.services.settlement.settle import settle_month  # noqa: E402
from models.sql.tables import Prosumer, Timeframe  # noqa: E402

MONTH = "2026-10"
BATCH = 500
TRADE_SLOTS_PER_DAY = 4
PRODUCER_SHARE = Decimal("0.75")
WEI_PER_MINOR = 10**12
GRID = {
    "name": "settlement bench",
    "timezone": "UTC",
    "timeframe_minutes": 15,
    "currency": "EUR",
    "import_price": Decimal("0.30"),
    "feed_in_price": Decimal("0.08"),
    "wei_per_minor_unit": Decimal(WEI_PER_MINOR),
}


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_grid(container: Any, prosumers: int, rng: random.Random) -> tuple[str, list[str]]:
    """A UTC 15-minute grid and `prosumers` prosumers with random wallets, one transaction."""
    with container.uow() as uow:
        grid_id = reg.create_grid(uow, dict(GRID)).id
    now, ids = utcnow(), [str(uuid.uuid4()) for _ in range(prosumers)]
    with container.uow() as uow:
        for n, pid in enumerate(ids):
            wallet = to_checksum_address("0x" + rng.randbytes(20).hex())
            uow.registry.add(
                Prosumer(
                    id=pid, grid_id=grid_id, name=f"p{n}", address=f"street {n}",
                    kind="household", wallet=wallet, active=True, created_at=now, updated_at=now,
                )
            )  # fmt: skip
        uow.commit()
    return grid_id, ids


def close_all(container: Any, grid_id: str) -> int:
    """Insert a `closed` row for every timeframe of the month; return how many."""
    start, end = month_bounds(MONTH, "UTC")
    now, count = utcnow(), 0
    with container.uow() as uow:
        for at in timeframe_starts(start, end, 15):
            uow.registry.add(
                Timeframe(grid_id=grid_id, start=naive_utc(at), status="closed", closed_at=now)
            )
            count += 1
        uow.commit()
    return count


def write_trades(
    container: Any, grid_id: str, ids: list[str], rng: random.Random, per_day: int
) -> int:
    """Clear random nets of `per_day` timeframes a day and save their trades; return the count."""
    start, end = month_bounds(MONTH, "UTC")
    producers = int(len(ids) * PRODUCER_SHARE)
    prices = Prices(Decimal("0.30"), Decimal("0.08"))  # as in GRID
    store, total = container.documents.transactions, 0
    for at in timeframe_starts(start, end, 24 * 60 // per_day):
        signs = [1 if n < producers else -1 for n in range(len(ids))]
        nets = {pid: rng.randint(50, 900) * sign for pid, sign in zip(ids, signs, strict=True)}
        iso = format_instant(at)
        docs = [trade_doc(grid_id, iso, "EUR", t) for t in clear_timeframe(nets, prices, 2).trades]
        store.save_timeframe(grid_id, iso, docs)
        total += len(docs)
    return total


def fund_first_batch(container: Any, grid_id: str) -> int:
    """Send 1 wei to the wallets of the first BATCH credits (they become existing accounts)."""
    plan = plan_month(container, grid_id, MONTH)
    wallets = [st.account for st in plan.statements if st.amount_minor > 0][:BATCH]
    chain, nonces, last = container.chain, container.chain.nonce_manager(), ""
    for wallet in wallets:
        last = chain.send_raw(chain.sign_transfer(wallet, 1, nonces.next()).raw)
    if last:
        chain.wait_receipt(last, timeout_s=120)
    return len(wallets)


def batch_rows(container: Any, grid_id: str, funded: int) -> dict[str, Any]:
    """Gas of each credit batch, per credited prosumer, labelled funded or fresh wallets."""
    where = {"run": run_key(grid_id, MONTH)}
    txs = container.documents.collection(TXS).find(where, sort=[("nonce", 1)])
    rows: dict[str, Any] = {}
    seen = 0
    for n, tx in enumerate(t for t in txs if t["kind"] == "batch"):
        size, gas = len(tx["indices"]), int(tx["gas_used"])
        label = "funded" if seen + size <= funded else "fresh" if seen >= funded else "mixed"
        rows[f"batch {n} ({size}, {label}) gas"] = gas
        rows[f"batch {n} gas per credit"] = gas // size
        seen += size
    root = next((t for t in txs if t["kind"] == "root"), None)
    rows["post_root gas"] = int(root["gas_used"]) if root else 0
    return rows


def measure(container: Any, prosumers: int, per_day: int) -> dict[str, Any]:
    """Seed, fill, deploy, plan, settle; return the numbers."""
    rng = random.Random(20261001)
    began = time.perf_counter()
    grid_id, ids = seed_grid(container, prosumers, rng)
    timeframes = close_all(container, grid_id)
    trades = write_trades(container, grid_id, ids, rng, per_day)
    setup_s = time.perf_counter() - began
    deploy_contract(container)
    funded = fund_first_batch(container, grid_id)
    began = time.perf_counter()
    plan_month(container, grid_id, MONTH)
    plan_s = time.perf_counter() - began
    began = time.perf_counter()
    summary = settle_month(container, grid_id, MONTH, batch_size=BATCH)
    settle_s = time.perf_counter() - began
    return {
        "prosumers": summary.prosumers,
        "timeframes closed": timeframes,
        "timeframes with trades": 31 * per_day,
        "trades written": trades,
        "setup seconds": round(setup_s, 2),
        "credits": summary.credits,
        "debits": summary.debits,
        "credits minor": summary.credits_minor,
        "debits minor": summary.debits_minor,
        "transactions sent": summary.sent_now,
        "total gas": summary.gas_used,
        "gas per credited prosumer": summary.gas_used // max(summary.credits, 1),
        **batch_rows(container, grid_id, funded),
        "planning seconds": round(plan_s, 3),
        "chain seconds": round(settle_s - plan_s, 3),
        "settle_month seconds": round(settle_s, 3),
    }


def run(prosumers: int = 1000, slots_per_day: int = TRADE_SLOTS_PER_DAY) -> dict[str, Any]:
    """Throwaway anvil, SQLite registry and document store; settle a month; return numbers."""
    from api import create_app
    from migrations.runner import upgrade

    with tempfile.TemporaryDirectory(prefix="minigrid-settle-bench-") as name:
        tmp, port = Path(name), free_port()
        database = f"sqlite:///{tmp / 'registry.db'}"
        upgrade(database)
        anvil = start_anvil(port, tmp / "anvil-state.json")
        try:
            config = {
                "DATABASE_URL": database,
                "MONGO_URL": f"sqlite:///{tmp / 'documents.db'}",
                "LEDGER_URL": f"http://127.0.0.1:{port}",
                "LOG_LEVEL": "WARNING",
            }
            container = create_app(config).extensions["minigrid"]
            try:
                return measure(container, prosumers, slots_per_day)
            finally:
                container.close()
        finally:
            stop_anvil(anvil)


def main() -> None:
    """Print the numbers of one run."""
    prosumers = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    per_day = int(sys.argv[2]) if len(sys.argv) > 2 else TRADE_SLOTS_PER_DAY
    for key, value in run(prosumers, per_day).items():
        print(f"  {key:<32} {value:,}" if isinstance(value, int) else f"  {key:<32} {value}")


if __name__ == "__main__":
    main()
