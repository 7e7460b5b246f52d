"""Authentication of every /api request and the role and object checks views call."""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request

from api.auth.keycache import VerifiedKeys
from api.context import container
from api.errors import problem
from api.representations import SAFE_METHODS
from models.ports import ProsumerRecord
from models.services import keys, partners
from models.services.errors import Forbidden, NotFound
from models.services.keys import Principal

SCHEME = "bearerAuth"
SECURITY = [{SCHEME: []}]
CHALLENGE = 'Bearer realm="minigrid"'


def init_app(app: Flask) -> None:
    """Reject /api requests without a valid key with 401 and a challenge."""
    verified = VerifiedKeys(float(app.config["KEY_CACHE_S"]))
    app.extensions["minigrid_keys"] = verified

    @app.before_request
    def _authenticate() -> Response | None:
        if request.method == "OPTIONS" or not request.path.startswith("/api/"):
            return None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return _unauthorized("send an API key as `Authorization: Bearer mg_…`", CHALLENGE)
        digest = keys.token_hash(token)
        who = verified.get(digest) or _look_up(verified, token, digest)
        if who is None:
            return _unauthorized(
                "the API key is unknown, revoked or expired", CHALLENGE + ', error="invalid_token"'
            )
        g.principal = who
        g.key_prefix = who.prefix
        return None

    @app.after_request
    def _forget_on_write(response: Response) -> Response:
        if request.method not in SAFE_METHODS:
            verified.clear()  # a revocation through this process takes effect at once
        return response


def _look_up(verified: VerifiedKeys, token: str, digest: str) -> Principal | None:
    """Check the token against the store; remember it; record its use once a minute."""
    stores = container()
    with stores.reading() as reads:
        found = keys.verify(reads, token, digest)
    if found is None:
        return None
    if found.stale:
        with stores.uow() as uow:
            keys.touch_key(uow, found.principal.key_id)
    verified.put(digest, found)
    return found.principal


def _unauthorized(detail: str, challenge: str) -> Response:
    """401 with a Bearer challenge; `error` only when a token was sent (RFC 6750 3.1)."""
    return problem(401, "Unauthorized", detail, "unauthorized", {"WWW-Authenticate": challenge})


def principal() -> Principal:
    return g.principal


# Every authenticated operation can give these (503: a store is down or restarting).
COMMON_PROBLEMS = (
    (401, "UNAUTHORIZED"),
    (403, "FORBIDDEN"),
    (429, "TOO_MANY_REQUESTS"),
    (503, "SERVICE_UNAVAILABLE"),
)


def access(*roles: str, partner_cost: int | None = None, trust: int = 0) -> Callable[..., Any]:
    """Allow these roles (403 otherwise); document the bearer requirement and its problems.

    Partners pay `partner_cost` datapoints per served request and need `trust`.
    """

    def decorator(func: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            who = principal()
            if who.role not in roles:
                raise Forbidden(f"the {who.role} role may not {request.method} {request.path}")
            if who.role == "partner":
                return _charged(func, who, partner_cost or 0, trust, args, kwargs)
            return func(*args, **kwargs)

        doc = wrapper._apidoc = copy.deepcopy(getattr(func, "_apidoc", {}))  # type: ignore[attr-defined]
        manual = doc.setdefault("manual_doc", {})
        manual["security"] = SECURITY
        roles_text = ", ".join(roles)
        note = f"Roles: {roles_text}."
        if "partner" in roles:
            note += f" Partners: costs {partner_cost} datapoints, needs trust level {trust}."
        manual["description"] = note
        responses = doc.setdefault("response", {}).setdefault("responses", {})
        for code, name in COMMON_PROBLEMS:
            responses.setdefault(code, [name])
        if "partner" in roles:
            responses.setdefault(402, ["PAYMENT_REQUIRED"])
        return wrapper

    return decorator


def _charged(
    func: Callable[..., Any], who: Principal, cost: int, trust: int, args: Any, kwargs: Any
) -> Any:
    serve = functools.partial(func, *args, **kwargs)
    return partners.serve_billed(container(), who.partner_id, cost, trust, serve)


def see_grid(grid_id: str) -> None:
    """404 unless the caller's key reaches this grid."""
    who = principal()
    if who.role != "admin" and who.grid_id != grid_id:
        raise NotFound(f"grid {grid_id} does not exist")


def see_prosumer(prosumer: ProsumerRecord) -> None:
    """404 unless the caller may see this prosumer (own record for prosumers and meters)."""
    who = principal()
    if who.role in ("prosumer", "meter"):
        if who.prosumer_id != prosumer.id:
            raise NotFound(f"prosumer {prosumer.id} does not exist")
    elif who.role != "admin" and who.grid_id != prosumer.grid_id:
        raise NotFound(f"prosumer {prosumer.id} does not exist")


def grid_scope(grid_id: str | None) -> str | None:
    """The grid an operator is bound to (None for admins)."""
    who = principal()
    return None if who.role == "admin" else who.grid_id or grid_id
