"""Webhook requests: Standard Webhooks signatures, pinned addresses, a hard deadline.

Safety: only http(s); the host is resolved once and every address it resolves to must be
public (not private, loopback, link-local, multicast, reserved or unspecified) unless it lies in
an allowed network (WEBHOOK_ALLOWED_NETWORKS); the connection goes to the address that was
checked (no second lookup to rebind), TLS still verifies the hostname, redirects are answers
(never followed), and a timer closes the socket at the deadline however slowly a subscriber
trickles bytes.
"""

from __future__ import annotations

import contextlib
import http.client
import ipaddress
import socket
import ssl
import threading
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from standardwebhooks.webhooks import Webhook

from models.ports import Outbound, WebhookRefused

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
USER_AGENT = "minigrid-webhooks/1"


def _networks(allowed: str) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n) for n in allowed.replace(" ", "").split(",") if n]


def _blocked(ip: IpAddress) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return bool(
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


class _Pinned(http.client.HTTPConnection):
    """HTTP to an already checked address."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedTls(http.client.HTTPSConnection):
    """HTTPS to an already checked address; the certificate is checked against the hostname."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]


class HttpOutbound:
    """Outbound port over http.client."""

    def __init__(self, timeout_s: float, allowed_networks: str = "") -> None:
        self.timeout_s = timeout_s
        self._allowed = _networks(allowed_networks)

    def _check_ip(self, ip: IpAddress, host: str) -> None:
        if _blocked(ip) and not any(ip in net for net in self._allowed):
            raise WebhookRefused(
                f"{host} resolves to {ip}, a private, loopback, link-local or reserved address"
            )

    def check_url(self, url: str) -> None:
        """WebhookRefused unless `url` is http(s) with a host; IP literals are checked now."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise WebhookRefused("a webhook URL must start with http:// or https://")
        if not parts.hostname or parts.username or parts.password:
            raise WebhookRefused("a webhook URL needs a host and carries no credentials")
        try:
            parts.port  # noqa: B018 (raises on a bad port)
            ip = ipaddress.ip_address(parts.hostname)
        except ValueError as exc:
            if "port" in str(exc).lower():
                raise WebhookRefused(f"bad port in {url!r}") from exc
            if parts.hostname.lower() in ("localhost", "localhost.localdomain"):
                self._check_ip(ipaddress.ip_address("127.0.0.1"), parts.hostname)
            return
        self._check_ip(ip, parts.hostname)

    def _resolve(self, host: str, port: int) -> str:
        """The first address of `host`, after checking every address it resolves to."""
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = [str(info[4][0]) for info in infos]
        if not addresses:
            raise WebhookRefused(f"{host} does not resolve")
        for address in addresses:
            self._check_ip(ipaddress.ip_address(address.split("%")[0]), host)
        return addresses[0]

    def post(self, url: str, secret: str, msg_id: str, body: str) -> tuple[int | None, str | None]:
        """POST a signed body within the timeout, no redirects: (status code, error)."""
        try:
            self.check_url(url)
            parts = urlsplit(url)
            tls = parts.scheme == "https"
            host, port = str(parts.hostname), parts.port or (443 if tls else 80)
            address = self._resolve(host, port)
        except (WebhookRefused, OSError) as exc:
            return None, f"refused: {exc}"
        now = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "user-agent": USER_AGENT,
            "webhook-id": msg_id,
            "webhook-timestamp": str(int(now.timestamp())),
            "webhook-signature": Webhook(secret).sign(msg_id, now, body),
        }
        kind = _PinnedTls if tls else _Pinned
        conn = kind(host, port, address, self.timeout_s)
        return _send(conn, parts, headers, body.encode(), self.timeout_s)


def _send(
    conn: http.client.HTTPConnection, parts: Any, headers: dict[str, str], body: bytes, limit: float
) -> tuple[int | None, str | None]:
    """One request under a hard deadline: a timer shuts the socket however the peer behaves."""
    fired = threading.Event()
    timer = threading.Timer(limit, _cut, args=(conn, fired))
    timer.daemon = True
    timer.start()
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request("POST", path, body=body, headers=headers)
        return conn.getresponse().status, None  # the body is not needed
    except (OSError, http.client.HTTPException) as exc:
        late = fired.is_set()
        return None, f"timed out after {limit:g} s" if late else f"{type(exc).__name__}: {exc}"
    finally:
        timer.cancel()
        conn.close()


def _cut(conn: http.client.HTTPConnection, fired: threading.Event) -> None:
    fired.set()
    sock = conn.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def _implements(outbound: HttpOutbound) -> Outbound:
    return outbound  # mypy checks the adapter against its port
