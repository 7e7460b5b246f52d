"""device.command events out to `minigrid/{grid}/devices/{prosumer}/commands`: retained, QoS 1,
from the event log (SQL events and the document outbox), at least once, one publisher at a time
(the embedded broker and Mosquitto)."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from models.domain import events as ev
from models.mqtt.client import connected, new_client
from models.services import device_commands as dc
from models.services.events import doc_event, record_event
from models.services.settlement.lease import new_holder


class Subscriber:
    """A device that subscribes late: what it receives, with the retain flag and QoS."""

    def __init__(self, url: str, topic: str) -> None:
        self.messages: queue.Queue[tuple[str, dict[str, Any], bool, int]] = queue.Queue()
        self.client, broker = new_client(url, f"device-{uuid.uuid4().hex[:8]}", False)
        self.client.on_message = lambda c, u, m: self.messages.put(
            (m.topic, json.loads(m.payload), m.retain, m.qos)
        )
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *a: subscribed.set()
        connected(self.client, broker, persistent=False)
        self.client.subscribe(topic, qos=1)
        assert subscribed.wait(10)

    def take(self, count: int) -> dict[str, tuple[dict[str, Any], bool, int]]:
        got = [self.messages.get(timeout=10) for _ in range(count)]
        return {topic: (payload, retain, qos) for topic, payload, retain, qos in got}

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def bus_stores(stores: Any, broker_url: str, meters_grid: Any) -> Iterator[Any]:
    """The stores with MQTT_URL set; the grid's retained commands are cleared afterwards."""
    stores.config["MQTT_URL"] = broker_url
    yield stores
    cleaner, broker = new_client(broker_url, f"clean-{uuid.uuid4().hex[:8]}", False)
    connected(cleaner, broker, persistent=False)
    for prosumer in meters_grid.prosumers:  # the shared broker keeps nothing of this test
        topic = dc.commands_topic(meters_grid.grid_id, prosumer)
        cleaner.publish(topic, b"", qos=1, retain=True).wait_for_publish(10)
    cleaner.disconnect()
    cleaner.loop_stop()


def command(stores: Any, grid: str, prosumer: str, asset: str, action: str) -> dict[str, Any]:
    """A device.command written as the communities feature writes one (SQL side)."""
    with stores.uow() as uow:
        data = {"asset_id": asset, "action": action, "reason": "community peak"}
        evt = record_event(uow, ev.DEVICE_COMMAND, grid, data, prosumer_id=prosumer)
        uow.commit()
    return evt


class FailingBus:
    """The real bus whose broker goes away after taking `after` messages."""

    def __init__(self, bus: Any, after: int) -> None:
        self.bus, self.after = bus, after

    def publish(self, topic: str, payload: Any, retain: bool = False) -> None:
        if self.after == 0:
            raise ConnectionError("the MQTT broker did not take it within 2s")
        self.bus.publish(topic, payload, retain=retain)
        self.after -= 1


def test_device_commands_are_published_retained_once_and_again_after_a_failure(
    bus_stores: Any, broker_url: str, meters_grid: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    stores, grid, (p1, p2, _) = bus_stores, meters_grid.grid_id, meters_grid.prosumers
    pause = command(stores, grid, p1, "battery-1", "pause")
    outbox_cmd = doc_event(
        ev.DEVICE_COMMAND, grid, {"asset_id": "heat-pump", "action": "pause"}, prosumer_id=p2
    )  # the document side: written with a document, relayed by the publisher
    stores.documents.collection("dr_test").put("peak-1", {"state": "on"}, events=[outbox_cmd])
    real_bus = stores.bus
    monkeypatch.setattr(type(stores), "bus", property(lambda self: FailingBus(real_bus, 1)))
    with pytest.raises(ConnectionError):
        dc.publish_device_commands(stores)  # the first went out, then the broker went away
    assert stores.documents.collection(dc.PUBLISHERS).get(dc.KEY)["cursor"] == 0  # not marked
    monkeypatch.undo()
    resume = command(stores, grid, p1, "battery-1", "resume")

    assert dc.publish_device_commands(stores) == 3  # the first again: at least once
    assert dc.publish_device_commands(stores) == 0  # marked published
    device = Subscriber(broker_url, f"minigrid/{grid}/devices/+/commands")
    retained = device.take(2)  # a device subscribing later gets its newest command
    device.close()
    p1_cmd, retain, qos = retained[dc.commands_topic(grid, p1)]
    assert retain and qos == 1 and p1_cmd["command_id"] == resume["id"] != pause["id"]
    assert p1_cmd == {
        "command_id": resume["id"],
        "grid_id": grid,
        "prosumer_id": p1,
        "asset_id": "battery-1",
        "action": "resume",
        "reason": "community peak",
        "issued_at": resume["occurred_at"],
    }
    p2_cmd, retain, _ = retained[dc.commands_topic(grid, p2)]
    assert retain and p2_cmd["action"] == "pause" and p2_cmd["command_id"] == outbox_cmd["id"]


def test_one_publisher_at_a_time(bus_stores: Any, meters_grid: Any) -> None:
    stores, grid, (p1, *_) = bus_stores, meters_grid.grid_id, meters_grid.prosumers
    command(stores, grid, p1, "battery-1", "pause")
    state = stores.documents.collection(dc.PUBLISHERS)
    state.put(dc.KEY, {"cursor": 0, "owner": new_holder(), "lease_until": "2999-01-01T00:00:00Z"})
    assert dc.publish_device_commands(stores) == 0  # a live process of this host holds it
    state.update(dc.KEY, {"owner": "elsewhere:1:x", "lease_until": "2000-01-01T00:00:00Z"})
    assert dc.publish_device_commands(stores) == 1  # an expired lease is taken over
    assert state.get(dc.KEY)["owner"] is None  # and given back


def test_without_a_broker_nothing_is_published_and_nothing_marked(stores: Any) -> None:
    assert stores.config["MQTT_URL"] == "" and stores.bus is None
    assert dc.publish_device_commands(stores) == 0
    assert stores.documents.collection(dc.PUBLISHERS).get(dc.KEY) is None


def test_a_command_without_a_prosumer_is_not_routed() -> None:
    evt = {"id": "x", "grid_id": "g", "prosumer_id": None, "occurred_at": "t", "data": {}}
    assert dc.command_message(evt) is None
    evt["data"] = {"prosumer_id": "p", "action": "pause"}
    topic, payload = dc.command_message(evt) or ("", {})
    assert topic == "minigrid/g/devices/p/commands"
    assert payload == {
        "prosumer_id": "p",
        "action": "pause",
        "command_id": "x",
        "grid_id": "g",
        "issued_at": "t",
    }
