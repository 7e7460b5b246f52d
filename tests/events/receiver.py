"""A real local HTTP receiver for webhook tests and benches: records requests, answers as told."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Receiver:
    url: str
    requests: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)  # status codes to give, then 204
    hold: threading.Event | None = None  # set: answer; unset: stay silent until it is set
    on_request: Callable[[], None] | None = None  # called as each request arrives, before answering
    arrived: threading.Condition = field(default_factory=threading.Condition)
    location: str = ""

    def wait_for(self, count: int, timeout_s: float = 10.0) -> None:
        with self.arrived:
            ok = self.arrived.wait_for(lambda: len(self.requests) >= count, timeout_s)
        assert ok, f"{len(self.requests)} requests arrived, expected {count}"


def _handler(state: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("content-length", 0)))
            with state.arrived:
                state.requests.append(({k.lower(): v for k, v in self.headers.items()}, body))
                code = state.answers.pop(0) if state.answers else 204
                state.arrived.notify_all()
            if state.on_request is not None:
                state.on_request()
            if state.hold is not None:
                state.hold.wait(30)
            self.send_response(code)
            if 300 <= code < 400:
                self.send_header("Location", state.location or state.url + "elsewhere")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    request_queue_size = 128  # the default 5 drops parallel connects (1 s SYN retries)
    daemon_threads = True


@contextmanager
def receiver() -> Iterator[Receiver]:
    """A receiver on a free loopback port, serving in a thread until the block ends."""
    server = _Server(("127.0.0.1", 0), BaseHTTPRequestHandler)
    recv = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")
    server.RequestHandlerClass = _handler(recv)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recv
    finally:
        if recv.hold is not None:
            recv.hold.set()
        server.shutdown()
        server.server_close()
