"""Corrections of closed timeframes: a new snapshot version and adjustment trades."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from api.auth.policy import access, principal, see_grid
from api.context import container
from api.corrections.schemas import CorrectionBodySchema, CorrectionSchema
from api.market.schemas import IdempotencyHeaders
from api.metering.routes import parse_start
from api.smorest import Blueprint
from models.domain.timeframes import format_instant
from models.services import correction_reads, corrections, metering

blp = Blueprint(
    "corrections",
    __name__,
    url_prefix="/api/v1",
    description="Corrections of closed timeframes and their adjustments.",
)
CORRECTION_EXAMPLE = {
    "reason": "utility meter data: house 7's meter under-read by 500 Wh",
    "readings": [
        {
            "prosumer_id": "8d5e0b1c-6a7f-4c1e-9a3b-2f1d0c9b8a71",
            "produced_wh": 0,
            "consumed_wh": 1700,
        }
    ],
}
HEADERS = {
    "Location": {"schema": {"type": "string"}},
    "Idempotent-Replayed": {"schema": {"type": "string", "enum": ["true", "false"]}},
}


@blp.route("/grids/<uuid:grid_id>/timeframes/<start>/corrections")
class TimeframeCorrections(MethodView):
    @access("admin", "operator")
    @blp.arguments(IdempotencyHeaders, location="headers")
    @blp.arguments(CorrectionBodySchema, example=CORRECTION_EXAMPLE)
    @blp.response(201, CorrectionSchema, headers=HEADERS)
    @blp.problems(404, 409, 413, 422)
    def post(self, headers: dict[str, Any], body: dict[str, Any], grid_id: Any, start: str) -> Any:
        """Correct a closed timeframe's readings as a new version (Idempotency-Key required)."""
        at = parse_start(start)
        see_grid(str(grid_id))
        metering.check_energy(body["readings"])
        who = principal()
        view, replay = corrections.correct_timeframe(
            container(), str(grid_id), at, headers["idempotency_key"], body, (who.key_id, who.role)
        )
        url = url_for("metering.TimeframeSnapshot", grid_id=grid_id, start=format_instant(at))
        location = f"{url}?version={view['version']}"
        return view, 201, {"Location": location, "Idempotent-Replayed": str(replay).lower()}

    @access("admin", "operator")
    @blp.response(200, CorrectionSchema(many=True))
    @blp.problems(400, 404, 422)
    def get(self, grid_id: Any, start: str) -> Any:
        """List a timeframe's corrections, oldest first: who, when, why, readings, adjustments."""
        at = parse_start(start)
        see_grid(str(grid_id))
        return correction_reads.list_corrections(container(), str(grid_id), at)
