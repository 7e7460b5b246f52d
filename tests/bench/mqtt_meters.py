"""The bench's meters: a lean MQTT 3.1.1 QoS 1 publisher on a plain socket (the load generator).

A fleet is 10,000 devices with a connection each, whose CPU is not the server's; on this 2-CPU
machine the publishers share the CPUs with the broker and the ingest, and paho spends about
0.1 ms of Python per QoS 1 message and PUBACK. This client encodes the PUBLISH packets up front,
writes them in large chunks and counts the broker's PUBACKs: a message counts as published only
once the broker acknowledged it (it then has taken responsibility for it), as with paho.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Sequence

from models.mqtt.client import parse_url

CONNECT, CONNACK, PUBLISH_QOS1, PUBACK = 0x10, 0x20, 0x32, 0x40


def _length(n: int) -> bytes:
    """MQTT's variable-length remaining length."""
    out = bytearray()
    while True:
        n, digit = divmod(n, 128)
        out.append(digit | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _string(text: str | bytes) -> bytes:
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


def connect_packet(client_id: str, username: str | None, password: str | None) -> bytes:
    """CONNECT, MQTT 3.1.1, clean session, keepalive 60 s."""
    flags = 0x02 | (0x80 if username else 0) | (0x40 if password else 0)
    body = _string("MQTT") + bytes([4, flags]) + struct.pack("!H", 60) + _string(client_id)
    body += (_string(username) if username else b"") + (_string(password) if password else b"")
    return bytes([CONNECT]) + _length(len(body)) + body


def publish_packet(topic: str, payload: bytes, mid: int) -> bytes:
    """PUBLISH at QoS 1 with packet id `mid` (1..65535)."""
    body = _string(topic) + struct.pack("!H", mid) + payload
    return bytes([PUBLISH_QOS1]) + _length(len(body)) + body


class LeanMeters:
    """One connection publishing many meters' readings at QoS 1."""

    def __init__(self, url: str, client_id: str) -> None:
        broker = parse_url(url)
        self.sock = socket.create_connection((broker.host, broker.port), 10)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock.sendall(connect_packet(client_id, broker.username, broker.password))
        connack = self._exactly(4)
        if connack[0] != CONNACK or connack[3] != 0:
            raise ConnectionError(f"the broker refused the connection: {connack!r}")

    def _exactly(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("the broker closed the connection")
            data += chunk
        return data

    def publish_all(self, packets: Sequence[bytes], chunk: int = 256) -> int:
        """Send every packet, then wait for a PUBACK of each; how many were acknowledged."""
        for n in range(0, len(packets), chunk):
            self.sock.sendall(b"".join(packets[n : n + chunk]))
        acked, buffer = 0, b""
        while acked < len(packets):
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError(f"the broker closed the connection after {acked} PUBACKs")
            buffer += data
            whole = len(buffer) - len(buffer) % 4  # a 3.1.1 PUBACK is 4 bytes: 0x40 2 mid
            assert all(b == PUBACK for b in buffer[0:whole:4]), "not a PUBACK"
            acked, buffer = acked + whole // 4, buffer[whole:]
        return acked

    def close(self) -> None:
        self.sock.sendall(b"\xe0\x00")  # DISCONNECT
        self.sock.close()
