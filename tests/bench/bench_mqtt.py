"""MQTT meter ingest: one timeframe from 10,000 meters, publish to durable write (readings/s).

The ingest is the real `flask ingest-mqtt` process on the bench's stores; the meters are
PUBLISHERS processes, each holding a share of the meters on one QoS 1 connection (the lean
publisher of `tests/bench/mqtt_meters.py`, or paho with BENCH_MQTT_PUBLISHER=paho), connected
before the clock starts. The clock runs from the go signal until the registry holds all 10,000
readings (counted in the store, polled). Each broker is measured RUNS times: the embedded one
`make run` starts (aedes; amqtt too with BENCH_MQTT_AMQTT=1) and Mosquitto at 127.0.0.1:1883
when it answers. Each run prints the load average and the CPU seconds of the publishers, the
broker and the ingest. `python -m tests.bench.bench_mqtt` runs this section alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from models.mqtt.client import connected, new_client
from models.sql.tables import Reading
from tests.bench.mqtt_meters import LeanMeters, publish_packet
from tests.mqtt.helpers import Meters, embedded_broker_process, wait_for

ROOT = Path(__file__).resolve().parents[2]
METERS = 10_000
PUBLISHERS = 4
RUNS = int(os.environ.get("BENCH_MQTT_RUNS", "3"))  # per broker: the machine's load swings
MOSQUITTO_PID_FILE = "/run/mosquitto/mosquitto.pid"
PUBLISHER = os.environ.get("BENCH_MQTT_PUBLISHER", "lean")  # or "paho"
FIRST = datetime(2026, 11, 2)  # a 15-minute grid's timeframes from here, one per broker


def count(container: Any, grid_id: str, start: datetime) -> int:
    """Readings stored for the timeframe (a cheap indexed count)."""
    stmt = select(func.count()).where(Reading.grid_id == grid_id, Reading.start == start)
    with container.read_engine.connect() as conn:
        return int(conn.scalar(stmt) or 0)


def start_ingest(env: dict[str, str], url: str, grid_id: str, client_id: str, log: Path) -> Any:
    """`flask ingest-mqtt` on the bench's stores (the grid's topic only: the broker may be
    shared); returns once it is subscribed."""
    args = [sys.executable, "-m", "flask", "--app", "wsgi", "ingest-mqtt", "--url", url]
    args += ["--grid", grid_id]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [*args, "--client-id", client_id],
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=out,
            stderr=out,
        )
    wait_for(lambda: "ingest: subscribed" in log.read_text() or proc.poll() is not None, 60)
    assert proc.poll() is None, log.read_text()
    return proc


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def forget_session(url: str, client_id: str) -> None:
    """Drop the ingest's persistent session (it would queue readings on a shared broker)."""
    client, broker = new_client(url, client_id, persistent=False)
    connected(client, broker, persistent=False).disconnect()
    client.loop_stop()


def start_publishers(url: str, messages: list[tuple[str, bytes]], tmp: Path) -> list[Any]:
    """PUBLISHERS processes, each connected and holding its share, waiting for the go line."""
    procs = []
    for n in range(PUBLISHERS):
        share = tmp / f"share-{n}.json"
        share.write_text(json.dumps([(t, b.decode()) for t, b in messages[n::PUBLISHERS]]))
        args = [sys.executable, "-m", "tests.bench.bench_mqtt", "publish", url, str(share)]
        proc = subprocess.Popen(
            args, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        procs.append(proc)
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return procs


def publish(url: str, share: Path) -> None:
    """A publisher process: connect, say ready, publish on the go line, say done."""
    messages = [(t, b.encode()) for t, b in json.loads(share.read_text())]
    if PUBLISHER == "paho":
        meters = Meters(url)
        print("ready", flush=True)
        sys.stdin.readline()
        infos = [meters.client.publish(topic, body, qos=1) for topic, body in messages]
        for info in infos:
            info.wait_for_publish(120)
    else:
        packets = [publish_packet(t, b, n % 65535 + 1) for n, (t, b) in enumerate(messages)]
        lean = LeanMeters(url, f"meters-{uuid.uuid4().hex[:8]}")
        print("ready", flush=True)
        sys.stdin.readline()
        assert lean.publish_all(packets) == len(packets)
    print("done", flush=True)
    (meters if PUBLISHER == "paho" else lean).close()


def ingest_once(
    container: Any,
    env: dict[str, str],
    tmp: Path,
    url: str,
    grid_id: str,
    ids: list[str],
    at: datetime,
    broker_pid: int | None = None,
) -> dict[str, Any]:
    """Publish one timeframe from every meter; time it to the last durable write."""
    start = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    client_id = f"bench-ingest-{uuid.uuid4().hex[:8]}"
    log = tmp / f"{client_id}.log"
    ingest = start_ingest(env, url, grid_id, client_id, log)
    messages = [
        (
            f"minigrid/{grid_id}/meters/{pid}/readings",
            json.dumps(
                {"start": start, "produced_wh": (n * 37) % 900, "consumed_wh": (n * 53) % 800}
            ).encode(),
        )
        for n, pid in enumerate(ids)
    ]
    publishers = start_publishers(url, messages, tmp)
    idle_cpu = cpu_s(ingest.pid)
    broker_idle = cpu_s(broker_pid) if broker_pid else 0.0
    publishers_idle = sum(cpu_s(proc.pid) for proc in publishers)
    try:
        began = time.perf_counter()
        for proc in publishers:
            proc.stdin.write("go\n")
            proc.stdin.flush()
        for proc in publishers:
            assert proc.stdout.readline().strip() == "done"
        published_s = time.perf_counter() - began
        publishers_cpu = sum(cpu_s(proc.pid) for proc in publishers) - publishers_idle
        wait_for(lambda: count(container, grid_id, at) >= len(ids), 300)
        written_s = time.perf_counter() - began
        ingest_cpu = cpu_s(ingest.pid) - idle_cpu
        broker_cpu = cpu_s(broker_pid) - broker_idle if broker_pid else None
    finally:
        for proc in publishers:
            proc.stdin.close()
            proc.wait(30)
        ingest.terminate()
        ingest.wait(30)
        forget_session(url, client_id)
    stats = log.read_text().strip().splitlines()[-1]
    return {
        "published_s": published_s,
        "durable_s": written_s,
        "readings_per_s": len(ids) / written_s,
        "load_average": os.getloadavg()[0],
        "publishers_cpu_s": publishers_cpu,
        "broker_cpu_s": broker_cpu if broker_cpu is not None else "not visible",
        "ingest_cpu_s": ingest_cpu,
        "readings_per_ingest_cpu_s": len(ids) / ingest_cpu,
        "ingest": stats.removeprefix("ingest stopped: "),
    }


def mosquitto_pid() -> int | None:
    """The system Mosquitto's pid, when its pid file is readable."""
    try:
        return int(Path(MOSQUITTO_PID_FILE).read_text())
    except (OSError, ValueError):
        return None


def brokers() -> list[tuple[str, Any]]:
    """(name, context manager yielding (URL, broker pid or None)) of each broker to measure."""
    import contextlib

    from tests.mqtt.helpers import mosquitto_or_skip

    out: list[tuple[str, Any]] = [("embedded aedes", embedded_broker_process)]
    if os.environ.get("BENCH_MQTT_AMQTT"):
        out.append(("embedded amqtt", lambda: embedded_broker_process(amqtt=True)))
    try:
        url = mosquitto_or_skip()
        pid = mosquitto_pid()
        out.append(("mosquitto 127.0.0.1:1883", lambda: contextlib.nullcontext((url, pid))))
    except BaseException as exc:  # pytest's Skipped: no Mosquitto here
        print(f"  (no Mosquitto: {exc})", flush=True)
    return out


def line(result: dict[str, Any]) -> str:
    """One run in one line: the rate and load, the times, each side's CPU seconds."""
    batches = result["ingest"].rpartition("; ")[2].partition(",")[0]
    broker = result["broker_cpu_s"]
    broker = f"{broker:.2f}" if isinstance(broker, float) else broker
    return (
        f"{result['readings_per_s']:,.0f} readings/s at load {result['load_average']:.1f}: "
        f"published {result['published_s']:.2f} s, stored {result['durable_s']:.2f} s; CPU s "
        f"publishers {result['publishers_cpu_s']:.2f}, broker {broker}, "
        f"ingest {result['ingest_cpu_s']:.2f} ({batches})"
    )


def run(
    container: Any, env: dict[str, str], tmp: Path, grid_id: str, ids: list[str]
) -> dict[str, Any]:
    """Each broker RUNS times, each run a timeframe of its own (15-minute grid)."""
    rows: dict[str, Any] = {
        "meters": len(ids),
        "publishers": f"{PUBLISHERS} processes ({PUBLISHER}), QoS 1",
    }
    n = 0
    for name, broker in brokers():
        rates = []
        for attempt in range(1, RUNS + 1):
            with broker() as (url, pid):
                result = ingest_once(
                    container, env, tmp, url, grid_id, ids, FIRST + timedelta(minutes=15 * n), pid
                )
            n += 1
            rates.append(result["readings_per_s"])
            rows[f"{name} #{attempt}"] = line(result)
            if attempt == RUNS:
                rows[f"{name} #{attempt}"] += f"; {result['ingest'].partition(';')[0]}"
        rows[f"{name}: best, median"] = f"{max(rates):,.0f}, {sorted(rates)[len(rates) // 2]:,.0f}"
    return rows


def main() -> None:
    """This section alone, on throwaway SQLite stores."""
    import tempfile

    from api import create_app
    from migrations.runner import upgrade
    from models.services import registry as reg
    from tests.bench import bench_metering
    from tests.bench.run import PROSUMERS, bench_env, show

    with tempfile.TemporaryDirectory(prefix="minigrid-bench-mqtt-") as name:
        tmp = Path(name)
        env = bench_env(tmp, 8545)  # no ledger is used
        os.environ.update(env)
        upgrade(env["DATABASE_URL"])
        container = create_app().extensions["minigrid"]
        with container.uow() as uow:
            grid_id = reg.create_grid(uow, dict(bench_metering.GRID)).id
        ids = bench_metering.seed_prosumers(container, grid_id, PROSUMERS)
        show(
            "mqtt: ingest of one timeframe (publish to stored)",
            run(container, env, tmp, grid_id, ids),
        )
        container.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["publish"]:
        publish(sys.argv[2], Path(sys.argv[3]))
    else:
        main()
