"""Document-store throughput: raw inserts, trade writes and the netto query, SQLite vs mongomock.

Run: .venv/bin/python -m tests.bench.bench_documents [--quick]   (not collected by pytest)
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from models.documents import open_document_stores  # noqa: E402
from models.ports import DocumentStores  # noqa: E402
from tests.documents.samples import random_trades, ts  # noqa: E402


def raw_insert_rate(stores: DocumentStores, count: int = 100_000) -> float:
    """Documents per second of one Collection.put_many of `count` small documents."""
    docs = {f"doc{i:07d}": {"i": i, "grid_id": "g1", "state": "planned"} for i in range(count)}
    began = time.perf_counter()
    stores.collection("bench_raw").put_many(docs)
    return count / (time.perf_counter() - began)


def trade_insert_rate(stores: DocumentStores, count: int = 10_000) -> float:
    """Trades per second of one TransactionStore.save_timeframe of `count` trades."""
    trades = random_trades("bench", 0, count, [f"p{i}" for i in range(50)], seed=1)
    began = time.perf_counter()
    stores.transactions.save_timeframe("bench", ts(0), trades)
    return count / (time.perf_counter() - began)


def _snapshot(slot: int, prosumers: int) -> dict[str, Any]:
    """A synthetic snapshot of `prosumers` lines (content is arbitrary but exact)."""
    lines = [
        {
            "prosumer_id": f"p{p:05d}",
            "produced_wh": (p * 7 + slot) % 900,
            "consumed_wh": (p * 3 + slot * 5) % 700,
            "missing": (p + slot) % 97 == 0,
        }
        for p in range(prosumers)
    ]
    for line in lines:
        line["net_wh"] = line["produced_wh"] - line["consumed_wh"]
    prod, cons = sum(x["produced_wh"] for x in lines), sum(x["consumed_wh"] for x in lines)
    net = prod - cons
    totals = {
        "prosumers": prosumers,
        "production_wh": prod,
        "consumption_wh": cons,
        "surplus_wh": sum(max(x["net_wh"], 0) for x in lines),
        "deficit_wh": sum(max(-x["net_wh"], 0) for x in lines),
        "net_wh": net,
        "export_wh": max(net, 0),
        "import_wh": max(-net, 0),
    }
    return {
        "_id": f"bench:{ts(slot)}",
        "grid_id": "bench",
        "start": ts(slot),
        "end": ts(slot + 1),
        "timeframe_minutes": 15,
        "lines": lines,
        "missing": [],
        "totals": totals,
        "content_hash": f"h{slot}",
        "closed_at": ts(slot + 1),
    }


def fill_snapshots(stores: DocumentStores, prosumers: int, timeframes: int) -> float:
    """Save `timeframes` snapshots of `prosumers` lines; return lines written per second."""
    began = time.perf_counter()
    for slot in range(timeframes):
        stores.snapshots.save(_snapshot(slot, prosumers))
    return prosumers * timeframes / (time.perf_counter() - began)


def netto_seconds(stores: DocumentStores, timeframes: int, limit: int = 50) -> dict[str, float]:
    """Seconds of the netto query over all timeframes (first page, last page)."""
    out = {}
    for name, skip in (("first_page", 0), ("last_page", 10**9)):
        began = time.perf_counter()
        stores.snapshots.netto("bench", ts(0), ts(timeframes), skip, limit)
        out[name] = time.perf_counter() - began
    return out


def main() -> None:
    """Print the numbers for SQLite and mongomock."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="tenth-size netto data set")
    args = parser.parse_args()
    timeframes = 288 if args.quick else 2880
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = open_document_stores(f"sqlite:///{tmp}/bench.db")
        print(f"sqlite    put_many 100,000 docs:       {raw_insert_rate(sqlite):>10,.0f} docs/s")
        rate = trade_insert_rate(sqlite)
        print(f"sqlite    save_timeframe 10,000:       {rate:>10,.0f} trades/s")
        rate = fill_snapshots(sqlite, 1000, timeframes)
        print(f"sqlite    snapshot lines 1,000 x {timeframes}: {rate:>10,.0f} lines/s")
        for name, secs in netto_seconds(sqlite, timeframes).items():
            print(f"sqlite    netto 1,000 x {timeframes} {name}:  {secs * 1000:>10,.0f} ms")
        print(f"sqlite    file size: {Path(tmp, 'bench.db').stat().st_size / 2**20:,.0f} MiB")
        sqlite.close()
    mock = open_document_stores("mongomock://")
    print(f"mongomock put_many 100,000 docs:       {raw_insert_rate(mock):>10,.0f} docs/s")
    rate = trade_insert_rate(mock)
    print(f"mongomock save_timeframe 10,000:       {rate:>10,.0f} trades/s")
    mock.close()


if __name__ == "__main__":
    main()
