"""Every error as application/problem+json (RFC 9457)."""

from __future__ import annotations

import logging
from typing import Any

import marshmallow as ma
from flask import Flask, Response, g, json, request
from werkzeug.exceptions import HTTPException, InternalServerError

from models.bootstrap import SQL_UNAVAILABLE
from models.services.errors import DomainError

PROBLEM = "application/problem+json"
TYPE_BASE = "https://minigrid.dev/problems/"
log = logging.getLogger("minigrid.errors")


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, with a trace id and validation errors."""

    class Meta:
        unknown = ma.INCLUDE  # RFC 9457 extension members, e.g. `checks` on a 503

    type = ma.fields.String(metadata={"example": TYPE_BASE + "validation"})
    title = ma.fields.String(metadata={"example": "Validation failed"})
    status = ma.fields.Integer(metadata={"example": 400})
    detail = ma.fields.String(metadata={"example": "name: Missing data for required field."})
    instance = ma.fields.String(metadata={"example": "/api/v1/grids"})
    trace_id = ma.fields.String(metadata={"example": "5f0c8e0e2d3a4f5b9c1d2e3f4a5b6c7d"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Each bad field (dotted path) with its messages."},
    )


def problem(
    status: int,
    title: str,
    detail: str,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """Build a problem+json response."""
    body = {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        "trace_id": getattr(g, "request_id", ""),
        **extra,
    }
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into {"readings.3.produced_wh": [...]}."""
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return {prefix or "_schema": list(messages)}
    if isinstance(messages, str):
        return {prefix or "_schema": [messages]}
    flat: dict[str, list[str]] = {}
    items = messages.items() if isinstance(messages, dict) else enumerate(messages)
    for key, value in items:
        path = f"{prefix}.{key}" if prefix else str(key)
        flat.update(flatten_errors(value, path))
    return flat


def _validation_errors(data: dict[str, Any]) -> dict[str, list[str]]:
    messages = data.get("messages") or data.get("errors") or {}
    flat: dict[str, list[str]] = {}
    for location, fields in messages.items():
        prefix = "" if location in ("json", "form") else location
        flat.update(flatten_errors(fields, prefix))
    return flat


def handle_http_exception(error: HTTPException) -> Response:
    """Render werkzeug/webargs HTTP errors as problems, keeping protocol headers."""
    data = getattr(error, "data", None) or {}
    headers = dict(error.get_headers())
    headers.pop("Content-Type", None)
    headers.update(data.get("headers") or {})
    code = error.code or 500
    if "messages" in data or "errors" in data:
        errors = _validation_errors(data)
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        return problem(400, "Validation failed", detail, "validation", headers, errors=errors)
    detail = data.get("message") or error.description or error.name
    return problem(code, error.name, str(detail), None, headers)


def handle_domain_error(error: DomainError) -> Response:
    """Render a refused use case as its problem."""
    headers = error.extra.pop("headers", None)
    return problem(error.status, error.title, error.detail, error.slug, headers, **error.extra)


def handle_sql_unavailable(error: Exception) -> Response:
    """The relational store is down or restarting: a fast 503 naming it, not a 500."""
    log.warning("relational store unavailable: %s", str(error).splitlines()[0][:300])
    detail = "the relational store did not answer (down or restarting); retry shortly"
    return problem(503, "Dependency unavailable", detail, "unavailable", {"Retry-After": "1"})


def handle_unexpected(error: Exception) -> Response:
    """Log the crash with its trace id, answer a plain 500 problem."""
    if isinstance(error, HTTPException):
        return handle_http_exception(error)
    log.exception("unhandled error", extra={"request_id": getattr(g, "request_id", "")})
    return problem(500, "Internal Server Error", InternalServerError.description)


def register(app: Flask) -> None:
    """Install the problem handlers."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    for error in SQL_UNAVAILABLE:
        app.register_error_handler(error, handle_sql_unavailable)
    app.register_error_handler(Exception, handle_unexpected)
