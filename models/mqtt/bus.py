"""The `MessageBus` port on paho-mqtt: JSON payloads at QoS 1, e.g. retained device commands."""

from __future__ import annotations

import json
import os
import threading
import uuid

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
        info.wait_for_publish(self.timeout_s)
        if not info.is_published():
            raise ConnectionError(f"the MQTT broker did not take {topic} within {self.timeout_s}s")

    def close(self) -> None:
        if self._client is not None:
            self._client.disconnect()
            self._client.loop_stop()
            self._client = None
