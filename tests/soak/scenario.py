"""The soak's stack and the steps it takes against it: setup, faults, closing, settling, paying."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.soak import chainio
from tests.soak.checks import ACK, Fault, outcome_of
from tests.soak.load import Api, Meter, Recorder, instant
from tests.soak.stack import Chain, Postgres, Web, flask, free_port, wait_http_ok

MONTH = "2026-10"
FIRST = datetime(2026, 10, 1, tzinfo=UTC)
NEXT_MONTH = datetime(2026, 11, 1, tzinfo=UTC)
LAST = datetime(2026, 12, 1, tzinfo=UTC)
PROBE_FROM = datetime(2027, 1, 1, tzinfo=UTC)
DOWN_S = 3.0  # how long PostgreSQL and the chain stay down
GRID = {
    "name": "Soak",
    "timezone": "UTC",
    "timeframe_minutes": 360,
    "currency": "EUR",
    "import_price": "0.30",
    "feed_in_price": "0.10",
}
PROBE_TUPLE = (1, 2)
PROBE_VALUE = {"produced_wh": 1, "consumed_wh": 2}


class Soak:
    """The running stack, its clients and what they recorded."""

    def __init__(self, tmp: Path, args: argparse.Namespace) -> None:
        self.args, self.tmp = args, tmp
        self.pg = Postgres(tmp / "pg", free_port())
        self.chain = Chain(free_port(), tmp / "anvil-state.json")
        self.env = {
            "DATABASE_URL": self.pg.url,
            "MONGO_URL": f"sqlite:///{tmp / 'documents.db'}",
            "LEDGER_URL": self.chain.url,
            "WRITE_RATE_LIMIT": "1000000/minute",
            "LOG_LEVEL": "WARNING",
        }
        self.web = Web(free_port(), self.env, tmp / "gunicorn.log")
        self.rec = Recorder()
        self.api = Api(self.web.port, self.rec)
        self.faults: list[Fault] = []
        self.notes: list[str] = []
        self.probes = 0
        self.baseline_s: list[float] = []
        self.probe_failures: list[str] = []
        self.timings: list[str] = []
        self.t0 = time.monotonic()

    # -- start ---------------------------------------------------------------------------------
    def start(self) -> None:
        """PostgreSQL, anvil, migrations, contract, an admin key, gunicorn; then the registry."""
        self.pg.start()
        self.chain.start()
        for args in (("db", "upgrade"), ("ledger", "deploy")):
            self.cli(*args)
        self.admin = self.cli("keys", "create", "--role", "admin").stdout.strip()
        self.web.start()
        wait_http_ok(f"http://127.0.0.1:{self.web.port}/health/ready")
        self.grid = self.post("/api/v1/grids", self.admin, GRID)["id"]
        self.meters, self.wallets = [], {}
        for n in range(self.args.meters):
            pid = self.prosumer(f"House {n}")
            key = self.post("/api/v1/keys", self.admin, {"role": "meter", "prosumer_id": pid})
            self.meters.append(Meter(pid, key["secret"]))
        self.tokens = {
            m.prosumer_id: self.post(
                "/api/v1/keys", self.admin, {"role": "prosumer", "prosumer_id": m.prosumer_id}
            )["secret"]
            for m in self.meters
        }
        self.probe = Meter(self.prosumer("Probe"), self.admin)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        began = time.monotonic()
        done = flask(self.env, *args)
        self.timings.append(f"flask {args[0]} {time.monotonic() - began:.1f} s")
        print(f"  [{self.clock()}] {self.timings[-1]}", flush=True)
        if check and done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)}: {done.stderr[-800:]}")
        return done

    def post(self, path: str, token: str, body: Any) -> Any:
        status, answer = self.api.call("setup", "POST", path, token, body)
        if status not in (200, 201):
            raise RuntimeError(f"POST {path}: {status} {answer}")
        return answer

    def prosumer(self, name: str) -> str:
        address, key = chainio.new_wallet()
        chainio.fund(self.chain.url, address)
        body = {"name": name, "address": "Storgatan 1", "kind": "household", "wallet": address}
        pid = self.post(f"/api/v1/grids/{self.grid}/prosumers", self.admin, body)["id"]
        self.wallets[pid] = (address, key)
        return str(pid)

    # -- faults --------------------------------------------------------------------------------
    def probe_ok(self) -> bool:
        """Ready answers 200 and a fresh probe reading is acknowledged."""
        status, body = self.api.call("probe", "GET", "/health/ready", self.admin)
        if status != 200:
            self.probe_failures.append(f"ready {status} {(body or {}).get('detail', '')}"[:160])
            return False
        at = PROBE_FROM.timestamp() + self.probes * 6 * 3600
        self.probes += 1
        start = instant(datetime.fromtimestamp(at, UTC))
        path = f"/api/v1/prosumers/{self.probe.prosumer_id}/readings/{start}"
        status, _ = self.api.call("probe", "PUT", path, self.admin, PROBE_VALUE)
        self.rec.readings.record((self.probe.prosumer_id, start), PROBE_TUPLE, outcome_of(status))
        if outcome_of(status) != ACK:
            self.probe_failures.append(f"probe write {status}")
        return outcome_of(status) == ACK

    def baseline(self, samples: int = 5) -> None:
        """Probe round trips under the same load without a fault, to read recovery times against."""
        for _ in range(samples):
            began = time.monotonic()
            if self.probe_ok():
                self.baseline_s.append(time.monotonic() - began)
            time.sleep(0.5)

    def fault(self, name: str, hit: Callable[[], None], heal: Callable[[], None]) -> None:
        """Inject, heal, then wait until the service answers again; record the times."""
        began = time.monotonic()
        hit()
        heal()
        back = time.monotonic()
        self.probe_failures = []
        while not self.probe_ok():
            if time.monotonic() - back > 60:
                raise RuntimeError(f"no recovery within 60 s after {name}")
            time.sleep(0.05)
        self.faults.append(Fault(name, began, back, time.monotonic()))
        if self.probe_failures:
            failed = "; ".join(sorted(set(self.probe_failures)))
            self.notes.append(f"{name}: {len(self.probe_failures)} failed probe(s): {failed}")
        print(f"  [{self.clock()}] {name}: recovered", flush=True)

    def kill_worker(self, when: str) -> None:
        before = self.web.workers()

        def hit() -> None:
            os.kill(before[0], signal.SIGKILL)

        def heal() -> None:
            while len(set(self.web.workers()) - {before[0]}) < len(before):
                time.sleep(0.02)  # gunicorn has not forked the replacement yet

        self.fault(f"SIGKILL gunicorn worker ({when})", hit, heal)

    def restart_postgres(self) -> None:
        def hit() -> None:
            self.pg.stop("immediate")
            time.sleep(DOWN_S)

        self.fault(f"PostgreSQL crash (stop -m immediate), down {DOWN_S:g} s", hit, self.pg.start)

    def clock(self) -> str:
        return f"{time.monotonic() - self.t0:6.1f} s"

    # -- the month -----------------------------------------------------------------------------
    def close_month(self, october: list[datetime]) -> None:
        """`flask close-timeframes --month` closes what the closer left; retried until it works."""
        for _ in range(5):
            done = self.cli("close-timeframes", "--grid", self.grid, "--month", MONTH, check=False)
            if done.returncode == 0:
                for at in october:
                    self.rec.closes.record(instant(at), "closed", ACK)
                return
            self.notes.append(f"close-timeframes failed once: {done.stderr.strip()[-200:]}")
            time.sleep(1)
        raise RuntimeError("flask close-timeframes never succeeded")

    def run_status(self) -> dict[str, Any]:
        """The month's run ({} while there is none); retried while the answer is unknown."""
        path = f"/api/v1/grids/{self.grid}/settlements/{MONTH}?page_size=1000"
        for _ in range(50):
            status, body = self.api.call("settlement status", "GET", path, self.admin)
            if outcome_of(status) != "unknown":
                break
            time.sleep(0.2)
        return body if status == 200 and isinstance(body, dict) else {}

    def settle_through_chain_stop(self) -> None:
        """Start `flask settle`, stop the chain once it has recorded a tx, restart, re-run."""
        args = ["--grid", self.grid, "--month", MONTH, "--batch-size", "1"]
        proc = subprocess.Popen(
            [str(Path(sys.executable).with_name("flask")), "--app", "wsgi", "settle", *args],
            env={**os.environ, **self.env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        try:
            phase = self.wait_for_transactions(proc)

            def hit() -> None:
                self.chain.stop()
                time.sleep(DOWN_S)

            self.fault(f"chain stop/restart ({phase})", hit, self.chain.start)
            proc.communicate(timeout=120)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.notes.append(f"`flask settle` cut by the chain stop exited {proc.returncode}")
        self.settle_until_done()

    def wait_for_transactions(self, proc: subprocess.Popen[bytes], mined: int = 3) -> str:
        """Watch the chain until the run has `mined` transactions (or the CLI exits)."""
        first = self.block()
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if self.block() - first >= mined:
                return f"during `flask settle`, {mined} of its tx mined"
            time.sleep(0.01)
        return f"after `flask settle` exited {proc.poll()}"

    def block(self) -> int:
        return int(chainio.rpc(self.chain.url, "eth_blockNumber"), 16)

    def settle_until_done(self) -> None:
        for attempt in range(1, 7):
            done = self.cli("settle", "--grid", self.grid, "--month", MONTH, check=False)
            if done.returncode == 0 and self.run_status().get("status") == "settled":
                self.notes.append(f"`flask settle` settled the month on re-run {attempt}")
                return
            self.notes.append(f"re-run {attempt} of `flask settle`: {done.stderr.strip()[-200:]}")
            time.sleep(2)
        raise RuntimeError("the month never settled")

    def pay_debits(self) -> None:
        """Each debtor, at once, fetches its payment, signs it with its wallet and POSTs it."""
        debits = [line for line in self.run_status().get("lines", []) if line["kind"] == "debit"]
        payers = [threading.Thread(target=self.pay_one, args=(line,)) for line in debits]
        for payer in payers:
            payer.start()
        for payer in payers:
            payer.join()

    def pay_one(self, line: dict[str, Any]) -> None:
        pid, token = line["prosumer_id"], self.tokens[line["prosumer_id"]]
        path = f"/api/v1/prosumers/{pid}/statements/{MONTH}/payment"
        for _ in range(50):
            status, pay = self.api.call("payment", "GET", path, token)
            if status == 200:
                break
            time.sleep(0.2)
        signed = chainio.sign_payment(self.chain.url, pay, self.wallets[pid][1])
        for _ in range(50):
            status, _ = self.api.call("pay debit", "POST", path, token, {"signed_tx": signed})
            outcome = outcome_of(status)
            self.rec.debits.record(line["index"], int(pay["value"]), outcome)
            if outcome != "unknown":
                return
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop everything this soak started (each step even if another fails)."""
        for step in (self.web.stop, self.chain.stop, lambda: self.pg.stop("fast")):
            try:
                step()
            except Exception as exc:  # keep stopping the rest
                print(f"stopping: {type(exc).__name__}: {exc}", file=sys.stderr)
