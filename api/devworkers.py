"""`make run`'s background processes beside gunicorn: the task worker, the MQTT broker (the
embedded aedes unless MQTT_URL names one) and the meter ingest worker."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from typing import Any

from api.config import ROOT
from api.worker_cli import redact
from models.mqtt.embedded import aedes_command

EMBEDDED_USER = "minigrid"  # a service user (a UUID user name would be confined as a meter)


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, cwd=ROOT, env={**os.environ, **env}, start_new_session=True)


def _wait_port(host: str, port: int, proc: subprocess.Popen[bytes], timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the MQTT broker exited with code {proc.returncode}")
        try:
            with socket.create_connection((host, port), 0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the MQTT broker did not listen on {host}:{port} within {timeout_s:.0f}s")


def start_broker(config: dict[str, Any], port: int) -> tuple[str, subprocess.Popen[bytes] | None]:
    """MQTT_URL if set (no broker started), else the embedded broker on 127.0.0.1:port."""
    if config.get("MQTT_URL"):
        print(f"mqtt broker: {redact(config['MQTT_URL'])} (MQTT_URL)", flush=True)
        return str(config["MQTT_URL"]), None
    args = [
        sys.executable,
        "-m",
        "models.mqtt.embedded",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    proc = _start(args, {})
    _wait_port("127.0.0.1", port, proc)
    url = f"mqtt://{EMBEDDED_USER}@127.0.0.1:{port}?protocol=3.1.1"
    name = "aedes" if aedes_command("127.0.0.1", port) else "amqtt (no Node or aedes installed)"
    print(f"mqtt broker: {name} (embedded) on 127.0.0.1:{port}; MQTT_URL='{url}'", flush=True)
    return url, proc


def start_workers(env: dict[str, str], mqtt_url: str, port: int) -> list[subprocess.Popen[bytes]]:
    """`flask worker` (task queue) and `flask ingest-mqtt` (meter readings), with their lines."""
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    env = {**env, "MQTT_URL": mqtt_url}
    procs = [_start([*flask, "worker", "-w", "2"], env), _start([*flask, "ingest-mqtt"], env)]
    print(
        f"task worker: flask worker (2 threads) on {redact(env['QUEUE_URL'])}: settlement runs, "
        "simulations, webhook deliveries, device commands",
        flush=True,
    )
    print("meter ingest: flask ingest-mqtt on minigrid/+/meters/+/readings", flush=True)
    return procs


def subscribe_help(base: str, mqtt_url: str) -> str:
    """How to follow a grid's events once the service is ready (printed by `make run`)."""
    from models.mqtt.client import parse_url

    broker = parse_url(mqtt_url)
    version = "mqttv5" if broker.v5 else "mqttv311"
    return "\n".join(
        [
            "follow a grid (GRID = its id, ADMIN = an admin key):",
            f"  mosquitto_sub -h {broker.host} -p {broker.port} -u me -V {version} -v "
            "-t 'minigrid/GRID/#'    # readings, errors, device commands",
            f'  curl -H "Authorization: Bearer $ADMIN" "{base}/api/v1/events?grid_id=GRID"'
            "    # the event feed (X-Next-Cursor)",
            f'  POST {base}/api/v1/webhooks {{"url": …}} -> secret; on your side:',
            "    from standardwebhooks.webhooks import Webhook  # pip install standardwebhooks",
            "    event = Webhook(secret).verify(body, headers)   # raises if not signed by us",
        ]
    )
