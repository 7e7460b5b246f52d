"""After the load: read back every acknowledged write through the API and from the chain."""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

from tests.soak import chainio
from tests.soak.checks import Expect, Tally, group, reconcile
from tests.soak.load import instant
from tests.soak.scenario import FIRST, PROBE_FROM, Soak

LIST_TO = "2027-02-01T00:00:00Z"


def get(soak: Soak, path: str) -> Any:
    """GET through the API with the admin key; the checks need an answer."""
    for _ in range(20):
        status, body = soak.api.call("verify", "GET", path, soak.admin)
        if status == 200:
            return body
    raise RuntimeError(f"GET {path} never answered 200")


def stored_readings(soak: Soak) -> dict[Hashable, list[Any]]:
    """Every prosumer's readings as the API lists them (a row listed twice counts twice)."""
    span = f"from={instant(FIRST)}&to={LIST_TO}&page_size=1000"
    pairs = []
    for pid in [m.prosumer_id for m in soak.meters] + [soak.probe.prosumer_id]:
        for row in get(soak, f"/api/v1/prosumers/{pid}/readings?{span}"):
            pairs.append(((pid, row["start"]), (row["produced_wh"], row["consumed_wh"])))
    return group(pairs)


def closed_starts(soak: Soak) -> list[str]:
    span = f"from={instant(FIRST)}&to={instant(PROBE_FROM)}&page_size=1000"
    return [item["start"] for item in get(soak, f"/api/v1/grids/{soak.grid}/snapshots?{span}")]


def snapshot_lines(soak: Soak, starts: list[str]) -> dict[Hashable, list[Any]]:
    """The readings frozen in these closed timeframes' snapshots (lines with a reading)."""
    pairs = []
    for start in sorted(set(starts)):
        snap = get(soak, f"/api/v1/grids/{soak.grid}/timeframes/{start}")
        for line in snap["lines"]:
            if not line["missing"]:
                key = (line["prosumer_id"], start)
                pairs.append((key, (line["produced_wh"], line["consumed_wh"])))
    return group(pairs)


def settlement(soak: Soak) -> tuple[Tally, Tally, str]:
    """Credits: each wallet grew by exactly its credit; debits: one DebitPaid event per payment."""
    run = soak.run_status()
    credits_expected, credits_stored = {}, {}
    for line in run.get("lines", []):
        if line["kind"] != "credit":
            continue
        wei = int(line["amount_wei"])
        credits_expected[line["index"]] = Expect(line["status"] == "confirmed", {wei})
        got = chainio.balance(soak.chain.url, line["account"]) - chainio.FUNDS_WEI
        credits_stored[line["index"]] = [wei] * (got // wei) if got and got % wei == 0 else [got]
        if got == 0:
            credits_stored[line["index"]] = []
    paid = chainio.debits_paid(soak.chain.url, run["contract"], run["period_id"]) if run else []
    credits = reconcile("credit paid on chain", credits_expected, credits_stored)
    debits = reconcile("debit paid (API, on chain)", soak.rec.debits.expectations(), group(paid))
    return credits, debits, str(run.get("status"))


def verify(soak: Soak) -> tuple[list[Tally], str]:
    """All reconciliations, and the settlement run's final status."""
    expected = soak.rec.readings.expectations()
    starts = closed_starts(soak)
    in_snapshots = {k: e for k, e in expected.items() if k[1] in set(starts)}  # type: ignore[index]
    written = sorted({k[1] for k in in_snapshots})  # type: ignore[index]
    tallies = [
        reconcile("reading (listing)", expected, stored_readings(soak)),
        reconcile("reading in closed snapshot", in_snapshots, snapshot_lines(soak, written)),
        reconcile(
            "timeframe close", soak.rec.closes.expectations(), group((s, "closed") for s in starts)
        ),
    ]
    credits, debits, status = settlement(soak)
    return [*tallies, credits, debits], status
