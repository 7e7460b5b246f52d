"""The Mosquitto configuration the README gives: meters log in with their meter key and may only
publish their own readings and read their own errors and commands. The embedded broker confines a
meter (a UUID user name) the same way, without checking keys."""

from __future__ import annotations

import getpass
import queue
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from models.mqtt.client import connected, new_client
from tests.conftest import _skip_or_fail
from tests.mqtt.helpers import MOSQUITTO_BIN, embedded_broker, free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]
GRID = str(uuid.uuid4())
METER_1, METER_2 = str(uuid.uuid4()), str(uuid.uuid4())
KEYS = {
    METER_1: "mg_meter_one_secret",
    METER_2: "mg_meter_two_secret",
    "minigrid-ingest": "ingest-password",
    "minigrid-worker": "worker-password",
}


def readme_block(name: str) -> str:
    """The README's code block whose first line starts `# name:`."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index(f"# {name}:")
    return readme[start : readme.index("```", start)]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[str]:
    """A Mosquitto with the README's ACL file and a password file holding the meter keys."""
    if not Path(MOSQUITTO_BIN).exists() or not shutil.which("mosquitto_passwd"):
        _skip_or_fail(f"no mosquitto at {MOSQUITTO_BIN} or no mosquitto_passwd")
    passwd, port = tmp_path / "passwd", free_port()
    passwd.write_text("")
    for user, secret in KEYS.items():  # as the README says to add a meter key
        subprocess.run(["mosquitto_passwd", "-b", str(passwd), user, secret], check=True)
    (tmp_path / "acl").write_text(readme_block("acl"))
    conf = tmp_path / "mosquitto.conf"
    conf.write_text(
        f"listener {port} 127.0.0.1\nallow_anonymous false\npassword_file {passwd}\n"
        f"acl_file {tmp_path / 'acl'}\nuser {getpass.getuser()}\n"
    )
    proc = subprocess.Popen([MOSQUITTO_BIN, "-c", str(conf)], stderr=subprocess.DEVNULL)
    try:
        wait_port(port, proc)
        yield f"127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def client(
    address: str, user: str, topic: str | None = None, secret: str = "", v311: bool = False
) -> Any:
    """A connected client (MQTT 5, or 3.1.1) logged in with `user`'s key; `.got` holds what
    arrives on `topic` if given."""
    url = f"mqtt://{user}:{secret or KEYS[user]}@{address}" + ("?protocol=3.1.1" if v311 else "")
    c, parsed = new_client(url, uuid.uuid4().hex[:12], False)
    c.got, subscribed = queue.Queue(), threading.Event()
    c.on_message = lambda cl, u, m: c.got.put(m.topic)
    c.on_subscribe = lambda *a: subscribed.set()
    connected(c, parsed, persistent=False)
    if topic:
        c.subscribe(topic, qos=1)
        assert subscribed.wait(5)
    return c


def quiet(got: queue.Queue[str]) -> bool:
    """Nothing more arrives (within a short wait)."""
    time.sleep(0.3)
    return got.empty()


def test_a_meter_publishes_only_its_own_readings(broker: str) -> None:
    ingest = client(broker, "minigrid-ingest", "minigrid/+/meters/+/readings")
    meter = client(broker, METER_1)
    own = f"minigrid/{GRID}/meters/{METER_1}/readings"
    meter.publish(f"minigrid/{GRID}/meters/{METER_2}/readings", b"{}", qos=1).wait_for_publish(5)
    meter.publish(own, b"{}", qos=1).wait_for_publish(5)
    assert ingest.got.get(timeout=5) == own and quiet(ingest.got)  # the other one was refused
    with pytest.raises(ConnectionError):
        client(broker, METER_2, secret=KEYS[METER_1])  # another meter's key


def test_a_meter_reads_only_its_own_commands(broker: str) -> None:
    meter = client(broker, METER_1, "minigrid/+/devices/+/commands")
    worker = client(broker, "minigrid-worker")
    for prosumer in (METER_2, METER_1):
        topic = f"minigrid/{GRID}/devices/{prosumer}/commands"
        worker.publish(topic, b"{}", qos=1, retain=True).wait_for_publish(5)
    assert meter.got.get(timeout=5).endswith(f"/{METER_1}/commands") and quiet(meter.got)


def test_the_embedded_broker_confines_a_meter_to_its_own_topics() -> None:
    with embedded_broker() as url:
        address = url.partition("@")[2].partition("?")[0]
        ingest = client(address, "minigrid-ingest", "minigrid/+/meters/+/readings", v311=True)
        meter = client(address, METER_1, "minigrid/+/devices/+/commands", v311=True)
        worker = client(address, "minigrid-worker", v311=True)
        for prosumer in (METER_2, METER_1):
            topic = f"minigrid/{GRID}/devices/{prosumer}/commands"
            worker.publish(topic, b"{}", qos=1, retain=True).wait_for_publish(5)
        assert meter.got.get(timeout=5).endswith(f"/{METER_1}/commands") and quiet(meter.got)
        own = f"minigrid/{GRID}/meters/{METER_1}/readings"
        meter.publish(own, b"{}", qos=1).wait_for_publish(5)
        assert ingest.got.get(timeout=5) == own
        meter.publish(f"minigrid/{GRID}/meters/{METER_2}/readings", b"{}", qos=1)
        assert quiet(ingest.got)  # refused: the broker closed the meter's connection instead
        for c in (ingest, meter, worker):
            c.disconnect()
            c.loop_stop()
