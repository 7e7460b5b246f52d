"""Faults: the ingest worker SIGKILLed between its write and its acknowledgements (on Mosquitto
and on the embedded broker), and the broker restarted mid-stream (Mosquitto, which persists its
sessions; the embedded broker keeps them in memory), lose no acknowledged reading and write none
twice."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from models.services import registry as reg
from tests.mqtt.helpers import Meters, embedded_broker, ingesting, private_mosquitto, wait_for
from tests.procs import reaped_env

ROOT = Path(__file__).resolve().parents[2]
DAYS = 5
FIRST = datetime(2026, 10, 1)


def many_meters(stores: Any, count: int) -> tuple[str, list[str]]:
    """A daily grid with `count` prosumers."""
    with stores.uow() as uow:
        grid = reg.create_grid(
            uow,
            {
                "name": "meters",
                "timezone": "UTC",
                "timeframe_minutes": 1440,
                "currency": "EUR",
                "import_price": "0.30",
                "feed_in_price": "0.10",
            },
        )
    ids = []
    for n in range(count):
        body = {
            "name": f"m{n}",
            "address": f"s {n}",
            "kind": "household",
            "wallet": f"0x{n + 1:040x}",
        }
        with stores.uow() as uow:
            ids.append(reg.create_prosumer(uow, reg.get_grid(uow, grid.id), body).id)
    return grid.id, ids


def expected(ids: list[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (topic, prosumer, payload) of the stream: each meter, each day."""
    out = []
    for day in range(DAYS):
        start = (FIRST + timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
        for n, pid in enumerate(ids):
            payload = {"start": start, "produced_wh": n * 10 + day, "consumed_wh": day}
            out.append((pid, start, payload))
    return out


def stored(stores: Any, grid_id: str) -> dict[tuple[str, str], tuple[int, int]]:
    rows = {}
    with stores.uow(write=False) as uow:
        for day in range(DAYS):
            start = FIRST + timedelta(days=day)
            for pid, value in uow.registry.readings_at(grid_id, start).items():
                rows[(pid, start.strftime("%Y-%m-%dT%H:%M:%SZ"))] = value
    return rows


def publish_all(url: str, grid_id: str, stream: list[Any], persistent: bool = False) -> Meters:
    meters = Meters(url, persistent=persistent)
    infos = [
        meters.publish(f"minigrid/{grid_id}/meters/{pid}/readings", payload, wait=False)
        for pid, _, payload in stream
    ]
    for info in infos:
        info.wait_for_publish(60)  # the broker acknowledged every reading
    return meters


def ingest_process(env: dict[str, str], log: Path, crash: str = "") -> subprocess.Popen[bytes]:
    args = [sys.executable, "-m", "flask", "--app", "wsgi", "ingest-mqtt", "--batch-size", "100"]
    with log.open("ab") as out:
        return subprocess.Popen(
            args, cwd=ROOT, env={**env, "MINIGRID_CRASH_AT": crash}, stderr=out, stdout=out
        )


@contextlib.contextmanager
def own_broker(kind: str, tmp_path: Path) -> Iterator[str]:
    """A broker of this test alone: Mosquitto, or the embedded broker `make run` starts."""
    if kind == "embedded":
        with embedded_broker() as url:
            yield url
        return
    with private_mosquitto(tmp_path) as (url, _):
        yield url


@pytest.mark.parametrize("kind", ["embedded", "mosquitto"])
def test_an_ingest_worker_killed_after_writing_loses_and_duplicates_nothing(
    stores: Any, tmp_path: Path, kind: str
) -> None:
    grid_id, ids = many_meters(stores, 100)
    stream = expected(ids)
    with own_broker(kind, tmp_path) as url, reaped_env() as env:
        env.update(
            {
                "DATABASE_URL": stores.config["DATABASE_URL"],
                "MQTT_URL": url,
                "MONGO_URL": stores.config["MONGO_URL"],
                "LOG_LEVEL": "WARNING",
            }
        )
        log = tmp_path / "ingest.log"
        first = ingest_process(env, log, crash="ingest_written:2")
        wait_for(lambda: "ingest: subscribed" in log.read_text())
        meters = publish_all(url, grid_id, stream)
        assert first.wait(timeout=60) == -9
        written_before = len(stored(stores, grid_id))
        assert 100 <= written_before < len(stream)  # two batches were written, not acknowledged
        second = ingest_process(env, log)
        wait_for(lambda: len(stored(stores, grid_id)) == len(stream), timeout_s=60)
        second.terminate()
        assert second.wait(timeout=30) == 0
        meters.close()
    want = {(pid, start): (p["produced_wh"], p["consumed_wh"]) for pid, start, p in stream}
    assert stored(stores, grid_id) == want
    last = log.read_text().strip().splitlines()[-1]
    inserted = int(last.split("inserted ")[1].split(",")[0])
    unchanged = int(last.split("unchanged ")[1].split(",")[0])
    assert inserted == len(stream) - written_before  # nothing written twice
    # the batch written but not acknowledged came again (its size depends on the batching window)
    assert unchanged >= 1 and "updated 0" in last


def test_a_broker_restarted_mid_stream_loses_no_acknowledged_reading(
    stores: Any, tmp_path: Path
) -> None:
    grid_id, ids = many_meters(stores, 100)
    stream = expected(ids)
    with (
        private_mosquitto(tmp_path) as (url, restart),
        ingesting(stores, url, client_id="ingest-restart") as ingest,
    ):
        half = len(stream) // 2
        publish_all(url, grid_id, stream[:half]).close()
        restarter = threading.Thread(target=restart)
        restarter.start()  # while the ingest works through the first half
        restarter.join()
        publish_all(url, grid_id, stream[half:], persistent=True).close()
        wait_for(lambda: len(stored(stores, grid_id)) == len(stream), timeout_s=60)
        stats = ingest["stats"]
    want = {(pid, start): (p["produced_wh"], p["consumed_wh"]) for pid, start, p in stream}
    assert stored(stores, grid_id) == want
    assert stats.counts["inserted"] == len(stream) and stats.counts["updated"] == 0
    assert os.path.exists(tmp_path / "mosquitto.db")
