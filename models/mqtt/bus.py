"""The `MessageBus` port on paho-mqtt: JSON payloads at QoS 1 (retained device commands, the
simulation's meter readings)."""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Sequence

import paho.mqtt.client as mqtt

from models.mqtt.client import connected, new_client
from models.ports import Doc


class MqttBus:
    """One publishing connection per process, opened on first use."""

    def __init__(self, url: str, timeout_s: float) -> None:
        self.url, self.timeout_s = url, timeout_s
        self._client: mqtt.Client | None = None
        self._lock = threading.Lock()

    def _connected(self) -> mqtt.Client:
        with self._lock:
            if self._client is None:
                client_id = f"minigrid-pub-{os.getpid()}-{uuid.uuid4().hex[:6]}"
                client, broker = new_client(self.url, client_id, persistent=False)
                self._client = connected(client, broker, persistent=False)
            return self._client

    def publish(self, topic: str, payload: Doc, retain: bool = False) -> None:
        """Publish and wait for the broker's PUBACK; ConnectionError if it does not come."""
        data = json.dumps(payload, separators=(",", ":")).encode()
        info = self._connected().publish(topic, data, qos=1, retain=retain)
        if not _taken(info, self.timeout_s):
            raise ConnectionError(f"the MQTT broker did not take {topic} within {self.timeout_s}s")

    def publish_many(self, messages: Sequence[tuple[str, Doc]]) -> None:
        """Publish every message, then wait for all the broker's PUBACKs (one deadline)."""
        client = self._connected()
        infos = [
            client.publish(topic, json.dumps(payload, separators=(",", ":")).encode(), qos=1)
            for topic, payload in messages
        ]
        deadline = time.monotonic() + self.timeout_s + len(infos) / 1000
        for info in infos:
            if not _taken(info, max(0.0, deadline - time.monotonic())):
                raise ConnectionError(f"the MQTT broker did not take {len(infos)} messages in time")

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None


def _taken(info: mqtt.MQTTMessageInfo, timeout_s: float) -> bool:
    """Whether the broker acknowledged the message within `timeout_s` (False when paho gave up on
    it, e.g. it was published while the connection was down)."""
    try:
        info.wait_for_publish(timeout_s)
        return info.is_published()
    except (RuntimeError, ValueError):
        return False
