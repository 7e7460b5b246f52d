"""Liveness and readiness."""

from __future__ import annotations

import concurrent.futures
from typing import Any

import marshmallow as ma
from flask.views import MethodView

from api.context import container as current_container
from api.smorest import Blueprint
from models.services.errors import Unavailable
from models.services.settlement.ledger_status import chain_ready

blp = Blueprint(
    "health", __name__, url_prefix="/health", description="Process and dependency health."
)
_pool = concurrent.futures.ThreadPoolExecutor(max_workers=3, thread_name_prefix="health")


class LiveSchema(ma.Schema):
    status = ma.fields.String(metadata={"example": "ok"})


class ReadySchema(ma.Schema):
    status = ma.fields.String(metadata={"example": "ok"})
    checks = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.String(),
        metadata={"example": {"sql": "ok", "documents": "ok", "chain": "ok"}},
    )


@blp.route("/live")
class Live(MethodView):
    @blp.doc(security=[])
    @blp.response(200, LiveSchema, example={"status": "ok"})
    def get(self) -> dict[str, str]:
        """The process is up."""
        return {"status": "ok"}


@blp.route("/ready")
class Ready(MethodView):
    @blp.doc(security=[])
    @blp.response(
        200,
        ReadySchema,
        example={"status": "ok", "checks": {"sql": "ok", "documents": "ok", "chain": "ok"}},
    )
    @blp.problems(503)
    def get(self) -> dict[str, Any]:
        """SQL, documents and chain answer in time; the settlement contract is deployed."""
        container = current_container()
        timeout = float(container.config["STORE_TIMEOUT_S"])
        probes = {
            "sql": container.ping_sql,
            "documents": lambda: container.documents.ping(timeout),
            "chain": lambda: chain_ready(container),
        }
        futures = {name: _pool.submit(probe) for name, probe in probes.items()}
        checks = {name: _outcome(future, timeout) for name, future in futures.items()}
        failing = [f"{name}: {state}" for name, state in checks.items() if state != "ok"]
        if failing:
            raise Unavailable("not ready; " + "; ".join(failing), checks=checks)
        return {"status": "ok", "checks": checks}


def _outcome(future: concurrent.futures.Future[Any], timeout: float) -> str:
    try:
        future.result(timeout=timeout + 0.5)
    except concurrent.futures.TimeoutError:
        return f"no answer within {timeout:g}s"
    except Exception as exc:  # the dependency's own error, reported by name
        return f"{type(exc).__name__}: {exc}"[:300]
    return "ok"
