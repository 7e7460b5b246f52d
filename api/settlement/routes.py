"""Monthly settlement: start a run, read its status, statements with proofs, debit payments."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView
from flask_smorest import abort

from api.auth.policy import access, see_grid, see_prosumer
from api.context import container
from api.settlement.schemas import (
    PERIOD,
    LinesArgs,
    PaidSchema,
    PaymentSchema,
    RunSchema,
    SettleSchema,
    SignedTxSchema,
    StartedSchema,
    StatementSchema,
)
from api.smorest import PAGE_HEADERS, Blueprint, page_headers
from models.domain import settlement_state as st
from models.services import registry
from models.services.settlement.jobs import start_settlement
from models.services.settlement.payments import submit_payment
from models.services.settlement.queries import payment_instructions, prosumer_statement, run_status

blp = Blueprint(
    "settlement", __name__, url_prefix="/api/v1", description="Monthly settlement on chain."
)
LOCATION = {"Location": {"schema": {"type": "string"}}}


def check_month(month: str) -> str:
    """The {month} path segment (a month or an adjustments-only period), or a 400 naming it."""
    try:
        PERIOD(month)
    except Exception as exc:  # marshmallow ValidationError
        abort(400, errors={"path": {"month": [str(exc)]}})
    return month


def _prosumer_and_grid(prosumer_id: str) -> tuple[Any, Any]:
    with container().uow(write=False) as uow:
        prosumer = registry.get_prosumer(uow, prosumer_id)
        see_prosumer(prosumer)
        return prosumer, registry.get_grid(uow, prosumer.grid_id)


@blp.route("/grids/<uuid:grid_id>/settlements")
class Settlements(MethodView):
    @access("admin", "operator")
    @blp.arguments(SettleSchema, example={"month": "2026-10"})
    @blp.response(202, StartedSchema, headers=LOCATION, description="Started (or resumed).")
    @blp.alt_response(200, schema=StartedSchema, description="Already settled or running.")
    @blp.problems(404, 409, 422, 503)
    def post(self, body: dict[str, Any], grid_id: Any) -> Any:
        """Start settling a month in the background (idempotent)."""
        see_grid(str(grid_id))
        with container().uow(write=False) as uow:
            registry.get_grid(uow, str(grid_id))
        status, started = start_settlement(container(), str(grid_id), body["month"])
        url = url_for("settlement.Settlement", grid_id=grid_id, month=body["month"])
        code = 202 if started else 200
        return {"status": status, "status_url": url}, code, {"Location": url}


@blp.route("/grids/<uuid:grid_id>/settlements/<month>")
class Settlement(MethodView):
    @access("admin", "operator")
    @blp.arguments(LinesArgs, location="query")
    @blp.response(200, RunSchema, headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], grid_id: Any, month: str) -> Any:
        """A run's status, totals, transactions and a page of per-prosumer lines."""
        see_grid(str(grid_id))
        size, page = args["page_size"], args["page"]
        status = run_status(container(), str(grid_id), check_month(month), (page - 1) * size, size)
        return status, 200, page_headers(status["total_lines"], page, size)


@blp.route("/prosumers/<uuid:prosumer_id>/statements/<month>")
class ProsumerStatement(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.response(200, StatementSchema)
    @blp.problems(400, 404)
    def get(self, prosumer_id: Any, month: str) -> Any:
        """A prosumer's statement, per-timeframe lines, Merkle proof and on-chain status."""
        prosumer, grid = _prosumer_and_grid(str(prosumer_id))
        return prosumer_statement(container(), prosumer, grid, check_month(month))


@blp.route("/prosumers/<uuid:prosumer_id>/statements/<month>/payment")
class StatementPayment(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.response(200, PaymentSchema)
    @blp.problems(400, 404, 409)
    def get(self, prosumer_id: Any, month: str) -> Any:
        """A debit's payment: exact call to sign, and its status (due, pending or paid)."""
        prosumer, grid = _prosumer_and_grid(str(prosumer_id))
        return payment_instructions(container(), prosumer, grid, check_month(month))

    @access("admin", "operator", "prosumer")
    @blp.arguments(SignedTxSchema, example={"signed_tx": "0x02f8b1…"})
    @blp.response(200, PaidSchema, description="Mined: the debit is paid.")
    @blp.alt_response(
        202,
        schema=PaidSchema,
        headers=LOCATION,
        description="Broadcast, receipt not there within PAYMENT_WAIT_S: status `pending`; "
        "GET the Location (this resource) until its status is `paid`.",
    )
    @blp.problems(404, 409, 422, 503)
    def post(self, body: dict[str, Any], prosumer_id: Any, month: str) -> Any:
        """Check a prosumer-signed debit payment, broadcast it, answer once mined or 202."""
        prosumer, grid = _prosumer_and_grid(str(prosumer_id))
        paid = submit_payment(container(), prosumer, grid, check_month(month), body["signed_tx"])
        url = url_for("settlement.StatementPayment", prosumer_id=prosumer_id, month=month)
        if paid["status"] == st.PENDING:
            return {**paid, "status_url": url}, 202, {"Location": url}
        return {**paid, "status_url": url}
