"""paho-mqtt 2 clients from an MQTT_URL: `mqtt://[user[:password]@]host[:port][?protocol=3.1.1]`.

MQTT 5 by default (a persistent session is `clean_start=False` with a session expiry, and the
client's Receive Maximum lets the broker keep many QoS 1 messages in flight); `protocol=3.1.1`
for brokers that speak only 3.1.1 (the embedded amqtt broker): a persistent session is then
`clean_session=False`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

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


def new_client(
    url: str, client_id: str, persistent: bool, manual_ack: bool = False
) -> tuple[mqtt.Client, BrokerAddress]:
    """A configured client (not yet connected) and its broker's address."""
    broker = parse_url(url)
    client = mqtt.Client(
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
