"""paho-mqtt 2 clients from an MQTT_URL: `mqtt://[user[:password]@]host[:port][?protocol=3.1.1]`.

MQTT 5 by default (a persistent session is `clean_start=False` with a session expiry, and the
client's Receive Maximum lets the broker keep many QoS 1 messages in flight); `protocol=3.1.1`
for brokers that speak only 3.1.1 (the embedded aedes broker): a persistent session is then
`clean_session=False`.
"""

from __future__ import annotations

import struct
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

READ_CHUNK = 65_536  # bytes taken from the socket per receive system call
RECEIVE_MAXIMUM = 65_535  # QoS 1 messages in flight to us before our acks (the MQTT 5 maximum)
SESSION_EXPIRY_S = 7 * 24 * 3600  # a stopped consumer's queued readings wait a week


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    username: str | None
    password: str | None
    v5: bool


def parse_url(url: str) -> BrokerAddress:
    """The broker of an `mqtt://` URL; ValueError naming what is wrong."""
    parts = urlsplit(url)
    if parts.scheme != "mqtt" or not parts.hostname:
        raise ValueError(f"MQTT_URL {url!r} must look like mqtt://[user:password@]host[:port]")
    protocol = parse_qs(parts.query).get("protocol", ["5"])[0]
    if protocol not in ("5", "3.1.1"):
        raise ValueError(f"MQTT_URL protocol must be 5 or 3.1.1, got {protocol!r}")
    return BrokerAddress(
        parts.hostname,
        parts.port or 1883,
        unquote(parts.username) if parts.username else None,
        unquote(parts.password) if parts.password else None,
        protocol == "5",
    )


PLAIN_QOS1_PUBLISH = (0x32, 0x3A)  # PUBLISH, QoS 1, not retained; the second one a DUP


def _remaining_length(buffer: bytes, at: int, end: int) -> tuple[int, int] | None:
    """MQTT's variable-length integer at `at`: (value, where the body starts), or None when
    its bytes are not all in the buffer (or it is longer than the 4 bytes MQTT allows)."""
    value = 0
    for n in range(4):
        if at + n >= end:
            return None
        byte = buffer[at + n]
        value |= (byte & 0x7F) << (7 * n)
        if not byte & 0x80:
            return value, at + n + 1
    return None


class Client(mqtt.Client):
    """paho's client, reading its socket in 64 KiB chunks and acknowledging in bulk.

    paho 2 receives a packet with three or more `recv` calls (the command byte, each byte of the
    length, the body) and one `select` per packet: about half the ingest's CPU at 10,000 messages.
    Here `_sock_recv` (paho's one socket-read hook) serves those reads from a buffer filled
    `READ_CHUNK` bytes at a time, and `loop_read` handles every complete packet of the buffer
    before paho selects again; with `on_qos1_message` set, the plain QoS 1 PUBLISH packets of
    the buffer are decoded here, without paho's per-message objects (MQTT 5 properties, message
    and topic matching), and handed to it. `ack_many` queues a whole batch's PUBACKs as one
    write.
    (paho-mqtt is pinned to 2.1-2.2, whose private hooks these are; tests/mqtt covers them.)
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_buffer, self._read_at = b"", 0
        # (topic, payload, packet id) of each plain QoS 1 PUBLISH, instead of on_message
        self.on_qos1_message: Callable[[str, bytes, int], None] | None = None

    def reconnect(self) -> MQTTErrorCode:
        self._read_buffer, self._read_at = b"", 0  # bytes of the old connection mean nothing
        return super().reconnect()

    def _sock_recv(self, bufsize: int) -> bytes:
        if self._read_at >= len(self._read_buffer):
            data = super()._sock_recv(READ_CHUNK)  # BlockingIOError when nothing came
            if not data:
                return data  # the broker closed the connection
            self._read_buffer, self._read_at = data, 0
        start, self._read_at = self._read_at, self._read_at + bufsize
        return self._read_buffer[start : self._read_at]

    def loop_read(self, max_packets: int = 1) -> MQTTErrorCode:
        rc = super().loop_read(max_packets)
        while not rc and self._sock is not None and self._read_at < len(self._read_buffer):
            if self.on_qos1_message is not None and self._take_publishes():
                continue
            rc = super().loop_read(max_packets)
        return rc

    def _take_publishes(self) -> bool:
        """Hand each complete plain QoS 1 PUBLISH at the head of the buffer (no retain flag, no
        MQTT 5 properties, a UTF-8 topic) to `on_qos1_message`; whether the buffer is empty now.
        Anything else is left to paho, from the first packet that is not one of those."""
        assert self.on_qos1_message is not None
        buffer, at, end, taken = self._read_buffer, self._read_at, len(self._read_buffer), 0
        v5 = self._protocol == mqtt.MQTTv5
        while at < end and buffer[at] in PLAIN_QOS1_PUBLISH and self._in_packet["command"] == 0:
            head = _remaining_length(buffer, at + 1, end)
            if head is None or head[0] + head[1] > end:
                break  # not all here yet: paho reads the rest
            length, body = head
            topic_end = body + 2 + (buffer[body] << 8 | buffer[body + 1])
            payload = topic_end + 2 + v5  # MQTT 5: a zero property length, checked below
            if payload > body + length or (v5 and buffer[topic_end + 2] != 0):
                break
            try:
                topic = buffer[body + 2 : topic_end].decode()
            except UnicodeDecodeError:
                break
            mid = buffer[topic_end] << 8 | buffer[topic_end + 1]
            self.on_qos1_message(topic, buffer[payload : body + length], mid)
            at, taken = body + length, taken + 1
        self._read_at = at
        if taken:
            with self._msgtime_mutex:
                self._last_bytes_received = mqtt.time_func()
        return at >= end

    def ack_many(self, mids: Iterable[int]) -> None:
        """PUBACK each QoS 1 message id (MQTT 3.1.1 and 5: success), in one queued write."""
        data = b"".join(struct.pack("!BBH", mqtt.PUBACK, 2, mid) for mid in mids)
        if data:
            self._packet_queue(mqtt.PUBACK, data, 0, 0)


def new_client(
    url: str, client_id: str, persistent: bool, manual_ack: bool = False
) -> tuple[Client, BrokerAddress]:
    """A configured client (not yet connected) and its broker's address."""
    broker = parse_url(url)
    client = Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5 if broker.v5 else mqtt.MQTTv311,
        clean_session=None if broker.v5 else not persistent,
        manual_ack=manual_ack,
    )
    if broker.username:
        client.username_pw_set(broker.username, broker.password)
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)  # unbounded: publish() never refuses while reconnecting
    client.reconnect_delay_set(min_delay=1, max_delay=5)
    return client, broker


def connect(
    client: mqtt.Client, broker: BrokerAddress, persistent: bool, expiry_s: int = SESSION_EXPIRY_S
) -> None:
    """Connect (the network loop must run, e.g. `loop_start`, to finish the handshake)."""
    if not broker.v5:
        client.connect(broker.host, broker.port, keepalive=30)
        return
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    props.ReceiveMaximum = RECEIVE_MAXIMUM
    props.SessionExpiryInterval = expiry_s if persistent else 0
    client.connect(
        broker.host, broker.port, keepalive=30, clean_start=not persistent, properties=props
    )


def connected(
    client: mqtt.Client,
    broker: BrokerAddress,
    persistent: bool,
    timeout_s: float = 10.0,
    expiry_s: int = SESSION_EXPIRY_S,
) -> mqtt.Client:
    """Connect, start the network loop, wait for the broker's CONNACK; ConnectionError if none."""
    ready = threading.Event()
    refused: list[str] = []
    previous = client.on_connect

    def on_connect(
        c: mqtt.Client, userdata: object, flags: object, rc: object, props: object
    ) -> None:
        if getattr(rc, "is_failure", False):
            refused.append(str(rc))
        ready.set()
        if previous is not None:
            cast(Any, previous)(c, userdata, flags, rc, props)  # a VERSION2 on_connect

    client.on_connect = on_connect
    connect(client, broker, persistent, expiry_s)
    client.loop_start()
    if not ready.wait(timeout_s) or refused:
        client.loop_stop()
        reason = refused[0] if refused else f"no answer within {timeout_s:.0f}s"
        raise ConnectionError(f"MQTT broker {broker.host}:{broker.port} refused: {reason}")
    return client
