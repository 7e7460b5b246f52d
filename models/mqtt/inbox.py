"""A QoS 1 subscription whose messages are acknowledged by the caller, in batches, after the
work they carry is durably done (paho's manual acknowledgement on a persistent session).

A message not acknowledged before the connection drops (or the process dies) is delivered
again by the broker; acknowledgements of messages from an earlier connection are not sent,
because their packet ids mean nothing (or something else) on the new one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from models.mqtt.client import SESSION_EXPIRY_S, connected, new_client

log = logging.getLogger("minigrid.mqtt")
POLL_S = 0.005  # how often a batch being filled looks for more messages


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    mid: int
    qos: int
    session: int  # the connection it arrived on


class Inbox:
    """Subscribe to `topic` at QoS 1 and hand out messages in batches."""

    def __init__(
        self, url: str, client_id: str, topic: str, expiry_s: int = SESSION_EXPIRY_S
    ) -> None:
        self.topic, self.expiry_s = topic, expiry_s
        self.client, self.broker = new_client(url, client_id, persistent=True, manual_ack=True)
        self._messages: deque[Message] = deque()  # appended by paho's thread, taken by batch()
        self._arrived = threading.Event()  # set when a message came since batch() emptied it
        self._session, self._stopping = 0, False
        self._lock = threading.Lock()
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_message = self._on_message
        self.client.on_qos1_message = self._on_qos1_message
        self._subscribed = threading.Event()
        self.client.on_subscribe = lambda *args: self._subscribed.set()

    def start(self, timeout_s: float = 10.0) -> Inbox:
        """Connect and wait until the broker confirmed the subscription."""
        connected(self.client, self.broker, persistent=True, expiry_s=self.expiry_s)
        if not self._subscribed.wait(timeout_s):
            self.stop()
            raise ConnectionError(f"the broker did not confirm the subscription to {self.topic}")
        return self

    def _on_connect(self, client: mqtt.Client, *args: Any) -> None:
        with self._lock:
            self._session += 1
        client.subscribe(self.topic, qos=1)
        log.info(
            "connected to %s:%d, subscribed to %s", self.broker.host, self.broker.port, self.topic
        )

    def _on_disconnect(self, client: mqtt.Client, *args: Any) -> None:
        with self._lock:
            self._session += 1  # what arrived so far is delivered again after the reconnect
        if not self._stopping:
            log.warning("disconnected from %s:%d; reconnecting", self.broker.host, self.broker.port)

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        self._messages.append(
            Message(msg.topic, bytes(msg.payload), msg.mid, msg.qos, self._session)
        )
        if not self._arrived.is_set():
            self._arrived.set()

    def _on_qos1_message(self, topic: str, payload: bytes, mid: int) -> None:
        self._messages.append(Message(topic, payload, mid, 1, self._session))
        if not self._arrived.is_set():
            self._arrived.set()

    def batch(self, size: int, wait_s: float, idle_s: float = 0.5) -> list[Message]:
        """Up to `size` messages: waits up to `idle_s` for the first, then up to `wait_s` for
        more (until `size` are there)."""
        if not self._messages:
            self._arrived.clear()
            if not self._messages and not self._arrived.wait(idle_s):
                return []
        deadline = time.monotonic() + wait_s
        while len(self._messages) < size and time.monotonic() < deadline:
            time.sleep(min(POLL_S, max(0.0, deadline - time.monotonic())))
        take = min(size, len(self._messages))
        return [self._messages.popleft() for _ in range(take)]

    def ack(self, messages: list[Message]) -> int:
        """Acknowledge the messages of the current connection (one write); how many were."""
        with self._lock:
            current = [m for m in messages if m.session == self._session]
            self.client.ack_many(m.mid for m in current if m.qos == 1)
        return len(current)

    def reply(self, topic: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        """Publish at QoS 1 (not retained) on the same connection."""
        return self.client.publish(topic, payload, qos=1)

    def stop(self) -> None:
        self._stopping = True
        self.client.disconnect()
        self.client.loop_stop()
