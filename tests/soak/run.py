"""`make soak`: load a private PostgreSQL + anvil + gunicorn stack, inject faults, check every ack.

Meters PUT readings, readers list, a closer closes timeframes behind the meters; then the month is
closed (`flask close-timeframes`), settled (`flask settle`) and its debtors pay through the API.
Meanwhile a gunicorn worker is SIGKILLed (twice), PostgreSQL is crashed and restarted, and the
chain node is stopped in the middle of the settlement and restarted with its state. At the end
every acknowledged write is read back through the API and from the chain. Exit 1 if anything was
lost or duplicated, or answered with a 5xx other than a problem+json 503 during an outage.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.soak import report  # noqa: E402
from tests.soak.checks import Tally  # noqa: E402
from tests.soak.load import Meter, Plan, closer, reader, timeframes, writer  # noqa: E402
from tests.soak.scenario import FIRST, GRID, LAST, NEXT_MONTH, Soak  # noqa: E402
from tests.soak.verify import verify  # noqa: E402

BUDGET_S = 290  # `make soak` stops itself within 5 minutes


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.soak.run", description=__doc__)
    parser.add_argument("--seconds", type=float, default=120.0, help="length of the load phase")
    parser.add_argument("--meters", type=int, default=24, help="meters writing readings")
    parser.add_argument("--readers", type=int, default=3, help="clients listing")
    return parser.parse_args(argv)


def start_load(soak: Soak, plan: Plan) -> list[threading.Thread]:
    jobs = [(writer, (soak.api, soak.rec, plan, n, m, n)) for n, m in enumerate(soak.meters)]
    owners = [Meter(pid, token) for pid, token in soak.tokens.items()]
    jobs += [
        (reader, (soak.api, plan, owners, soak.grid, soak.admin, 1000 + n))
        for n in range(soak.args.readers)
    ]
    jobs += [(closer, (soak.api, soak.rec, plan, soak.grid, soak.admin))]
    threads = [threading.Thread(target=fn, args=args, daemon=True) for fn, args in jobs]
    for thread in threads:
        thread.start()
    return threads


def at(soak: Soak, fraction: float) -> None:
    """Sleep until `fraction` of the load phase has passed."""
    time.sleep(max(0.0, soak.t0 + fraction * soak.args.seconds - time.monotonic()))


def month_end(soak: Soak, plan: Plan) -> None:
    """Writers leave October (done, or at 35 % of the time); close, settle and pay it."""
    while plan.behind_all() < plan.cutoff and time.monotonic() < soak.t0 + 0.35 * soak.args.seconds:
        time.sleep(0.2)
    plan.month_over.set()
    while plan.behind_all() < plan.cutoff or not plan.closer_left.is_set():
        time.sleep(0.05)
    print(f"  [{soak.clock()}] October written; closing it with the CLI", flush=True)
    soak.close_month([s for s in plan.starts if s < NEXT_MONTH])
    soak.settle_through_chain_stop()
    print(f"  [{soak.clock()}] settled; debtors paying", flush=True)
    killer = threading.Timer(0.5, soak.kill_worker, ("during debit payments",))
    killer.start()
    soak.pay_debits()
    killer.join()


def direct(soak: Soak, plan: Plan) -> None:
    """The fault schedule, in the main thread, while the clients run."""
    at(soak, 0.04)
    soak.baseline()
    at(soak, 0.12)
    soak.kill_worker("under load")
    at(soak, 0.3)
    soak.restart_postgres()
    month_end(soak, plan)
    at(soak, 1.0)


def keep_logs(tmp: Path) -> None:
    """Copy the server logs to var/soak/ (the temp dir goes away)."""
    out = ROOT / "var" / "soak"
    out.mkdir(parents=True, exist_ok=True)
    for log in (tmp / "gunicorn.log", tmp / "pg" / "postgres.log"):
        if log.exists():
            shutil.copy(log, out / log.name)


class OverTime(Exception):
    """The soak ran past its time budget."""


def over_time(signum: int, frame: object) -> None:
    raise OverTime(f"the soak ran past its {BUDGET_S} s budget")


def main(argv: list[str] | None = None) -> int:
    """Run the soak; 0 when every acknowledged write is there and no 5xx was undocumented."""
    args = parse(argv)
    began = time.monotonic()
    signal.signal(signal.SIGALRM, over_time)
    signal.alarm(BUDGET_S)  # the finally blocks stop every process we started
    with tempfile.TemporaryDirectory(prefix="minigrid-soak-") as name:
        os.chmod(name, 0o755)
        soak = Soak(Path(name), args)
        try:
            return run(soak, name, began)
        except OverTime as exc:
            print(f"\nFAIL: {exc}", flush=True)
            return 1
        finally:
            signal.alarm(0)
            soak.stop()
            keep_logs(Path(name))


def run(soak: Soak, name: str, began: float) -> int:
    """Start, load with faults, verify, print; the exit status."""
    soak.start()
    starts = timeframes(FIRST, LAST, GRID["timeframe_minutes"])
    plan = Plan(starts, starts.index(NEXT_MONTH))
    args = soak.args
    print(
        f"minigrid soak: {args.meters} meters, {args.readers} readers, "
        f"{args.seconds:g} s of load; stores in {name}",
        flush=True,
    )
    soak.t0 = time.monotonic()
    threads = start_load(soak, plan)
    try:
        direct(soak, plan)
    finally:
        plan.stop.set()
        for thread in threads:
            thread.join(timeout=90)
    verify_began = time.monotonic()
    tallies, status = verify(soak)
    signal.alarm(0)
    soak.timings.append(f"verification {time.monotonic() - verify_began:.1f} s")
    ok = summarize(soak, tallies) and status == "settled"
    took = time.monotonic() - began
    print(f"\nsettlement run: {status}; soak took {took:.0f} s; {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


def summarize(soak: Soak, tallies: list[Tally]) -> bool:
    """The tables, the notes and the timings; True when the checks passed."""
    rec = soak.rec
    ok = report.show(tallies, soak.faults, rec.errors, rec.counts, rec.write_acks, soak.t0)
    if soak.baseline_s:
        print(f"  probe round trip under load, no fault: median {median(soak.baseline_s):.2f} s")
    for note in soak.notes:
        print(f"  note: {note}")
    print(f"  timings: {', '.join(soak.timings)}")
    return ok


if __name__ == "__main__":
    raise SystemExit(main())
