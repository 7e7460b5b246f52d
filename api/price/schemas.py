"""The local price of a timeframe."""

from __future__ import annotations

import marshmallow as ma

from api.fields import DecimalString, Instant
from api.smorest import StrictSchema
from models.domain.clearing import MECHANISMS


class PriceArgs(StrictSchema):
    at = Instant(
        required=True,
        metadata={"description": "Any instant; the timeframe holding it is priced."},
    )


class TimeframeSpanSchema(ma.Schema):
    start = Instant()
    end = Instant(metadata={"description": "Exclusive."})


def _price(description: str) -> DecimalString:
    return DecimalString(places=12, metadata={"description": description})


class PriceSchema(ma.Schema):
    grid_id = ma.fields.String(metadata={"format": "uuid"})
    mechanism = ma.fields.String(validate=ma.validate.OneOf(MECHANISMS))
    currency = ma.fields.String()
    price = _price(
        "Local price per kWh a buyer pays: supply_demand p_t (half-even to 12 places), "
        "mid_market and auction p_mid, bill_sharing the buyers' effective share price."
    )
    sell_price = _price(
        "Local price per kWh a seller receives (equal to price except under bill_sharing)."
    )
    import_price = _price("The grid's current import price per kWh.")
    feed_in_price = _price("The grid's current feed-in price per kWh.")
    timeframe = ma.fields.Nested(TimeframeSpanSchema)
    status = ma.fields.String(validate=ma.validate.OneOf(("open", "closing", "closed")))
    closed = ma.fields.Boolean(metadata={"description": "Read from the closed snapshot."})
    complete = ma.fields.Boolean(
        metadata={"description": "False while open: readings may still arrive or change."}
    )
    readings = ma.fields.Integer(metadata={"description": "Prosumers with a reading."})
    missing_readings = ma.fields.Integer(
        metadata={"description": "Active prosumers registered before the end without one."}
    )
    total_production_wh = ma.fields.Integer(metadata={"description": "Sum of produced Wh."})
    total_demand_wh = ma.fields.Integer(metadata={"description": "Sum of consumed Wh."})
    surplus_wh = ma.fields.Integer(
        metadata={"description": "S: sum of prosumers' net surpluses (the price's supply)."}
    )
    deficit_wh = ma.fields.Integer(
        metadata={"description": "D: sum of prosumers' net deficits (the price's demand)."}
    )
