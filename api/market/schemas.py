"""Orders, transactions and balances."""

from __future__ import annotations

import marshmallow as ma

from api.fields import DecimalString, Instant, WholeNumber
from api.metering.schemas import RangeArgs, TimeRange
from api.smorest import StrictSchema


class OrderSchema(StrictSchema):
    id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    prosumer_id = ma.fields.String(dump_only=True, metadata={"format": "uuid"})
    timeframe_start = Instant(required=True)
    side = ma.fields.String(
        required=True, validate=ma.validate.OneOf(("buy", "sell")), metadata={"example": "sell"}
    )
    energy_wh = WholeNumber(
        required=True,
        validate=ma.validate.Range(1, 10**12),
        metadata={"example": 1500},
    )
    limit_price = DecimalString(
        required=True,
        metadata={"description": "Sell at least / buy at most, per kWh.", "example": "0.18"},
    )
    status = ma.fields.String(
        dump_only=True,
        metadata={"description": "open, cancelled, filled, partial or unfilled."},
    )
    filled_wh = ma.fields.Integer(dump_only=True)
    trade_ids = ma.fields.List(ma.fields.String(), dump_only=True)
    created_at = Instant(dump_only=True)
    updated_at = Instant(dump_only=True)


class IdempotencyHeaders(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    idempotency_key = ma.fields.String(
        required=True,
        data_key="Idempotency-Key",
        validate=ma.validate.Length(1, 200),
        metadata={"description": "Retries with the same key and body replay the first answer."},
    )


class TradeSchema(ma.Schema):
    id = ma.fields.String(attribute="_id", metadata={"example": "<grid>:<start>:000003"})
    timeframe_start = ma.fields.String(metadata={"format": "date-time"})
    line = ma.fields.Integer()
    seller = ma.fields.String(metadata={"description": "A prosumer id, grid, plant or rounding."})
    buyer = ma.fields.String(metadata={"description": "A prosumer id, grid, plant or rounding."})
    energy_wh = ma.fields.Integer()
    unit_price = ma.fields.String(metadata={"description": "Per kWh, decimal string."})
    amount_minor = ma.fields.Integer(metadata={"description": "Paid by buyer to seller."})
    currency = ma.fields.String()
    kind = ma.fields.String()
    order_id = ma.fields.String(allow_none=True)


class PageSumsSchema(ma.Schema):
    energy_wh = ma.fields.Integer()
    amount_minor = ma.fields.Integer()
    sold_wh = ma.fields.Integer()
    bought_wh = ma.fields.Integer()
    received_minor = ma.fields.Integer()
    paid_minor = ma.fields.Integer()


class TransactionPageSchema(ma.Schema):
    transactions = ma.fields.List(ma.fields.Nested(TradeSchema))
    page_sums = ma.fields.Nested(PageSumsSchema)


class GridTransactionArgs(RangeArgs):
    prosumer_id = ma.fields.String(metadata={"description": "Trades where it is seller or buyer."})
    counterparty = ma.fields.String(
        metadata={"description": "The other side: a prosumer id, grid, plant or rounding."}
    )


class BalanceSchema(ma.Schema):
    prosumer_id = ma.fields.String()
    start_from = ma.fields.String(data_key="from")
    start_to = ma.fields.String(data_key="to")
    sold_wh = ma.fields.Integer()
    bought_wh = ma.fields.Integer()
    received_minor = ma.fields.Integer()
    paid_minor = ma.fields.Integer()
    trades = ma.fields.Integer()
    net_wh = ma.fields.Integer()
    net_minor = ma.fields.Integer(metadata={"description": "received - paid (minor units)."})


class BalanceArgs(TimeRange):
    pass
