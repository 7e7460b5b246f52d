"""Structured request logs (one JSON line per request) with a request id."""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid

from flask import Flask, Response, g, request

log = logging.getLogger("minigrid.request")
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {"level": record.levelname, "logger": record.name, "message": record.getMessage()}
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str) -> None:
    root = logging.getLogger("minigrid")
    if not root.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
    root.setLevel(level)


def init_app(app: Flask) -> None:
    """Accept or generate X-Request-ID, echo it, log the request when it ends."""

    @app.before_request
    def _start() -> None:
        given = request.headers.get("X-Request-ID")
        g.request_id = given if given and _VALID_ID.match(given) else uuid.uuid4().hex
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response: Response) -> Response:
        request_id = getattr(g, "request_id", "")
        response.headers["X-Request-ID"] = request_id
        if not log.isEnabledFor(logging.INFO):  # the line would be dropped: don't build it
            return response
        elapsed = (time.perf_counter() - getattr(g, "started", time.perf_counter())) * 1000
        fields = {
            "request_id": request_id,
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "ms": round(elapsed, 2),
            "key": getattr(g, "key_prefix", None),
        }
        log.info("request", extra={"fields": fields})
        return response
