"""MQTT test parts: the embedded broker and Mosquitto, meters that publish, an ingest thread."""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from api import meter_mqtt
from models.mqtt.client import connected, new_client
from models.mqtt.inbox import Inbox
from tests.conftest import _skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
MOSQUITTO_URL = os.environ.get("TEST_MQTT_URL", "mqtt://minigrid-test@127.0.0.1:1883")
MOSQUITTO_BIN = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_port(port: int, proc: subprocess.Popen[Any], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"the broker exited with {proc.returncode}"
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise AssertionError(f"nothing listens on {port}")


@contextlib.contextmanager
def embedded_broker(port: int | None = None) -> Iterator[str]:
    """The broker `make run` starts (aedes), on a free port; its URL."""
    with embedded_broker_process(port) as (url, _):
        yield url


@contextlib.contextmanager
def embedded_broker_process(
    port: int | None = None, amqtt: bool = False
) -> Iterator[tuple[str, int]]:
    """The embedded broker (aedes, or the former amqtt) on a free port; (URL, its pid)."""
    port = port or free_port()
    args = [sys.executable, "-m", "models.mqtt.embedded", "--port", str(port)]
    proc = subprocess.Popen([*args, *(["--amqtt"] if amqtt else [])], cwd=ROOT)
    try:
        wait_port(port, proc)
        yield f"mqtt://minigrid-test@127.0.0.1:{port}?protocol=3.1.1", proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def mosquitto_or_skip() -> str:
    """The CI Mosquitto's URL if it answers; skip (fail in CI) otherwise."""
    try:
        client, broker = new_client(MOSQUITTO_URL, f"probe-{uuid.uuid4().hex[:8]}", False)
        connected(client, broker, persistent=False, timeout_s=2).disconnect()
        client.loop_stop()
    except (OSError, ConnectionError) as exc:
        _skip_or_fail(f"no Mosquitto at {MOSQUITTO_URL}: {exc}")
    return MOSQUITTO_URL


@contextlib.contextmanager
def private_mosquitto(tmp_path: Path, port: int | None = None) -> Iterator[tuple[str, Any]]:
    """A Mosquitto of this test, persisting sessions in tmp_path; (URL, restart function)."""
    if not Path(MOSQUITTO_BIN).exists():
        _skip_or_fail(f"no mosquitto at {MOSQUITTO_BIN}")
    port = port or free_port()
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
        f"persistence_location {tmp_path}/\nautosave_interval 0\nautosave_on_changes false\n"
        f"max_queued_messages 0\nset_tcp_nodelay true\nuser {getpass.getuser()}\n"
    )
    procs: list[subprocess.Popen[Any]] = []

    def start() -> None:
        proc = subprocess.Popen([MOSQUITTO_BIN, "-c", str(conf)], stderr=subprocess.DEVNULL)
        procs.append(proc)
        wait_port(port, proc)

    def restart() -> None:
        procs[-1].terminate()  # SIGTERM: mosquitto writes its persistence file and exits
        procs[-1].wait(timeout=10)
        start()

    start()
    try:
        yield f"mqtt://minigrid-test@127.0.0.1:{port}", restart
    finally:
        procs[-1].terminate()
        procs[-1].wait(timeout=10)


class Meters:
    """A publishing client (many meters share it), QoS 1."""

    def __init__(self, url: str, persistent: bool = False) -> None:
        client_id = f"meters-{uuid.uuid4().hex[:8]}"
        self.client, broker = new_client(url, client_id, persistent=persistent)
        connected(self.client, broker, persistent=persistent)

    def publish(self, topic: str, payload: Any, wait: bool = True) -> mqtt.MQTTMessageInfo:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        info = self.client.publish(topic, data, qos=1)
        if wait:
            info.wait_for_publish(10)
        return info

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


class Listener:
    """Collects what arrives on a topic filter."""

    def __init__(self, url: str, topic: str) -> None:
        self.messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.client, broker = new_client(url, f"listen-{uuid.uuid4().hex[:8]}", False)
        self.client.on_message = lambda c, u, m: self.messages.put((m.topic, json.loads(m.payload)))
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        connected(self.client, broker, persistent=False)
        self.client.subscribe(topic, qos=1)
        assert subscribed.wait(10)

    def next(self, timeout_s: float = 10.0) -> tuple[str, Any]:
        return self.messages.get(timeout=timeout_s)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@contextlib.contextmanager
def ingesting(
    container: Any, url: str, client_id: str | None = None, grid_id: str = "+"
) -> Iterator[Any]:
    """`flask ingest-mqtt`'s loop in a thread of this process; yields (stats holder). On a shared
    broker give `grid_id`: other tests' meters publish there too."""
    stop, holder = threading.Event(), {}
    topic = meter_mqtt.TOPIC.replace("minigrid/+/", f"minigrid/{grid_id}/")
    inbox = Inbox(url, client_id or f"ingest-{uuid.uuid4().hex[:8]}", topic, 60)
    inbox.start()

    def work() -> None:
        holder["stats"] = meter_mqtt.run(
            container, url, "", stop, inbox=inbox, on_batch=lambda s: holder.update(stats=s)
        )

    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield holder
    finally:
        stop.set()
        thread.join(15)


def wait_for(check: Any, timeout_s: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value:
            return value
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
