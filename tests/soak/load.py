"""The soak's clients: meters writing readings, readers listing, a closer; all over HTTP."""

from __future__ import annotations

import http.client
import json
import random
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.soak.checks import ACK, UNKNOWN, ServerError, WriteLog, outcome_of

RETRY_S = 0.2
THINK_S = 0.3  # a meter's pause between timeframes (24 meters offer at most ~80 writes/s)
MAX_TRIES = 100  # ~20 s of retries of one write before it is abandoned (outcome stays unknown)


def instant(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def timeframes(first: datetime, until: datetime, minutes: int) -> list[datetime]:
    """Timeframe starts in [first, until)."""
    out, at = [], first
    while at < until:
        out.append(at)
        at += timedelta(minutes=minutes)
    return out


@dataclass
class Recorder:
    """Everything the clients saw: writes per key, server errors, counts per kind and status."""

    readings: WriteLog = field(default_factory=WriteLog)
    closes: WriteLog = field(default_factory=WriteLog)
    debits: WriteLog = field(default_factory=WriteLog)
    errors: list[ServerError] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    write_acks: list[float] = field(default_factory=list)  # when each reading PUT got its 2xx
    lock: threading.Lock = field(default_factory=threading.Lock)

    def saw(self, kind: str, status: int | None, problem: bool, what: str) -> None:
        with self.lock:
            self.counts[(kind, str(status))] += 1
            if kind == "write reading" and status is not None and 200 <= status < 300:
                self.write_acks.append(time.monotonic())
            if status is None or status >= 500:
                self.errors.append(ServerError(time.monotonic(), status, problem, what))


class Api:
    """One HTTP request per connection (gunicorn's sync workers close each one anyway)."""

    def __init__(self, port: int, recorder: Recorder) -> None:
        self.port, self.recorder = port, recorder

    def call(
        self, kind: str, method: str, path: str, token: str, body: Any = None
    ) -> tuple[int | None, Any]:
        """Send one request; (status or None when no answer came, parsed JSON body or None)."""
        headers = {"Authorization": f"Bearer {token}"}
        data = None if body is None else json.dumps(body).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=data, headers=headers)
            resp = conn.getresponse()
            raw, status = resp.read(), resp.status
            problem = resp.getheader("Content-Type", "").startswith("application/problem+json")
        except (OSError, http.client.HTTPException) as exc:
            self.recorder.saw(kind, None, False, f"{method} {path}: {type(exc).__name__}")
            return None, None
        finally:
            conn.close()
        parsed = json.loads(raw) if raw else None
        detail = parsed.get("detail", "") if isinstance(parsed, dict) else ""
        self.recorder.saw(kind, status, problem, f"{method} {path}: {status} {detail}"[:300])
        return status, parsed


@dataclass
class Meter:
    prosumer_id: str
    token: str


class Plan:
    """Shared progress: each writer's current timeframe; the closer stays behind all of them."""

    def __init__(self, starts: list[datetime], cutoff: int) -> None:
        self.starts = starts
        self.cutoff = cutoff  # first index after the settled month
        self.progress: dict[int, int] = {}
        self.month_over = threading.Event()  # writers leave the month (time budget or done)
        self.closer_left = threading.Event()  # the closer is past the month
        self.stop = threading.Event()
        self.lock = threading.Lock()

    def behind_all(self) -> int:
        """Every timeframe index below this one is finished by every writer."""
        with self.lock:
            return min(self.progress.values(), default=0)

    def set(self, writer: int, index: int) -> None:
        with self.lock:
            self.progress[writer] = index


def put_reading(
    api: Api, rec: Recorder, meter: Meter, at: datetime, value: tuple[int, int]
) -> None:
    """PUT one reading; retry the same value until acknowledged or refused."""
    path = f"/api/v1/prosumers/{meter.prosumer_id}/readings/{instant(at)}"
    body = {"produced_wh": value[0], "consumed_wh": value[1]}
    for _ in range(MAX_TRIES):
        status, _ = api.call("write reading", "PUT", path, meter.token, body)
        outcome = outcome_of(status)
        rec.readings.record((meter.prosumer_id, instant(at)), value, outcome)
        if outcome != UNKNOWN:
            return
        time.sleep(RETRY_S)


def writer(api: Api, rec: Recorder, plan: Plan, index: int, meter: Meter, seed: int) -> None:
    """One meter: a reading per timeframe in order, sometimes corrected by a second PUT.

    Even meters mostly produce, odd ones mostly consume, so the month has credits and debits.
    """
    rng = random.Random(seed)
    high, low = (6000, 2000) if index % 2 == 0 else (2000, 6000)
    i = 0
    while i < len(plan.starts) and not plan.stop.is_set():
        if i < plan.cutoff and plan.month_over.is_set():
            i = plan.cutoff
            continue
        plan.set(index, i)
        for _ in range(2 if rng.random() < 0.25 else 1):
            value = (rng.randrange(high), rng.randrange(low))
            put_reading(api, rec, meter, plan.starts[i], value)
        i += 1
        time.sleep(THINK_S)
    plan.set(index, len(plan.starts))


def reader(api: Api, plan: Plan, owners: list[Meter], grid: str, admin: str, seed: int) -> None:
    """List a random prosumer's readings (its prosumer key) or the grid's snapshots."""
    rng = random.Random(seed)
    span = f"from={instant(plan.starts[0])}&to={instant(plan.starts[-1])}&page_size=1000"
    while not plan.stop.is_set():
        if rng.random() < 0.7:
            owner = rng.choice(owners)
            path = f"/api/v1/prosumers/{owner.prosumer_id}/readings?{span}"
            api.call("list readings", "GET", path, owner.token)
        else:
            api.call("list snapshots", "GET", f"/api/v1/grids/{grid}/snapshots?{span}", admin)
        time.sleep(0.02)


def close_one(api: Api, rec: Recorder, grid: str, admin: str, at: datetime) -> bool:
    """POST close until acknowledged; True when closed."""
    path = f"/api/v1/grids/{grid}/timeframes/{instant(at)}/close"
    for _ in range(MAX_TRIES):
        status, _ = api.call("close timeframe", "POST", path, admin)
        outcome = outcome_of(status)
        rec.closes.record(instant(at), "closed", outcome)
        if outcome == ACK:
            return True
        if outcome != UNKNOWN:
            return False
        time.sleep(RETRY_S)
    return False


def closer(api: Api, rec: Recorder, plan: Plan, grid: str, admin: str) -> None:
    """Close every timeframe all writers have finished (the month's rest is closed by the CLI)."""
    done = 0
    while not plan.stop.is_set():
        ready = plan.behind_all()
        if done < plan.cutoff and plan.month_over.is_set():
            done = plan.cutoff
        if done >= plan.cutoff:
            plan.closer_left.set()
        if done < ready:
            close_one(api, rec, grid, admin, plan.starts[done])
            done += 1
        else:
            time.sleep(0.1)
