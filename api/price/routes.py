"""The local price of a grid's timeframe from its supply and demand."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from api.auth.policy import access, see_grid
from api.context import container
from api.price.schemas import PriceArgs, PriceSchema
from api.smorest import Blueprint
from models.services import pricing

blp = Blueprint(
    "price", __name__, url_prefix="/api/v1", description="Local prices from supply and demand."
)
PRICE_EXAMPLE = {
    "grid_id": "3f2c1b9e-5d4a-4e8f-9b7c-1a2d3e4f5a6b",
    "mechanism": "supply_demand",
    "currency": "EUR",
    "price": "0.177777777778",
    "sell_price": "0.177777777778",
    "import_price": "0.30",
    "feed_in_price": "0.10",
    "timeframe": {"start": "2026-10-01T00:15:00Z", "end": "2026-10-01T00:30:00Z"},
    "status": "open",
    "closed": False,
    "complete": False,
    "readings": 3,
    "missing_readings": 1,
    "total_production_wh": 1900,
    "total_demand_wh": 1500,
    "surplus_wh": 1100,
    "deficit_wh": 700,
}


@blp.route("/grids/<uuid:grid_id>/price")
class GridPrice(MethodView):
    @access("admin", "operator", "partner", partner_cost=1, trust=0)
    @blp.arguments(PriceArgs, location="query")
    @blp.response(200, PriceSchema, example=PRICE_EXAMPLE)
    @blp.problems(400, 404, 409)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """The local price of the timeframe holding `at`, with its supply and demand."""
        see_grid(str(grid_id))
        return pricing.timeframe_price(container(), str(grid_id), args["at"])
