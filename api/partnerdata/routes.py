"""Data partners buy, per timeframe: production per producer and consumption per asset."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView

from api.auth.policy import access, principal, see_grid
from api.communities.schemas import AtArgs
from api.context import container
from api.price.schemas import TimeframeSpanSchema
from api.smorest import Blueprint
from models.services import partner_data

blp = Blueprint(
    "partnerdata",
    __name__,
    url_prefix="/api/v1",
    description="Per-timeframe data for partners (pseudonymous ids, paid in datapoints).",
)
PSEUDONYM = "A partner sees a pseudonym, stable for that partner; others the prosumer's id."


class ProducerSchema(ma.Schema):
    producer_id = ma.fields.String(metadata={"format": "uuid", "description": PSEUDONYM})
    production_wh = ma.fields.Integer()
    production_w = ma.fields.Integer(metadata={"description": "Wh * 60 / timeframe_minutes."})


class ProductionSchema(ma.Schema):
    grid_id = ma.fields.String(metadata={"format": "uuid"})
    timeframe = ma.fields.Nested(TimeframeSpanSchema)
    status = ma.fields.String(validate=ma.validate.OneOf(("open", "closing", "closed")))
    producers = ma.fields.List(ma.fields.Nested(ProducerSchema))


class AssetUseSchema(ma.Schema):
    producer_id = ma.fields.String(metadata={"format": "uuid", "description": PSEUDONYM})
    asset_id = ma.fields.String(
        metadata={"format": "uuid", "description": "Pseudonymous for partners, as producer_id."}
    )
    type = ma.fields.String(validate=ma.validate.OneOf(("appliance", "load", "scheduled_load")))
    consumption_w = ma.fields.Integer(
        metadata={"description": "Expected power from the asset's parameters at that moment."}
    )


class AssetConsumptionSchema(ma.Schema):
    grid_id = ma.fields.String(metadata={"format": "uuid"})
    timeframe = ma.fields.Nested(TimeframeSpanSchema)
    assets = ma.fields.List(ma.fields.Nested(AssetUseSchema))


@blp.route("/grids/<uuid:grid_id>/production")
class Production(MethodView):
    @access("admin", "operator", "partner", partner_cost=70, trust=0)
    @blp.arguments(AtArgs, location="query")
    @blp.response(200, ProductionSchema)
    @blp.problems(404, 409)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """Production of each producing prosumer in the timeframe holding `at`."""
        see_grid(str(grid_id))
        stores = container()
        name = partner_data.pseudonyms(stores, principal().partner_id)
        return partner_data.production(stores, str(grid_id), args["at"], name)


@blp.route("/grids/<uuid:grid_id>/consumption/assets")
class AssetConsumption(MethodView):
    @access("admin", "operator", "partner", partner_cost=100, trust=3)
    @blp.arguments(AtArgs, location="query")
    @blp.response(200, AssetConsumptionSchema)
    @blp.problems(404)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """Detailed consumption: each consuming asset's expected power at `at`."""
        see_grid(str(grid_id))
        stores = container()
        name = partner_data.pseudonyms(stores, principal().partner_id)
        return partner_data.asset_consumption(stores, str(grid_id), args["at"], name)
