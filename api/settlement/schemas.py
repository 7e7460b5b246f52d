"""Settlement runs, statements and debit payments."""

from __future__ import annotations

import marshmallow as ma

from api.fields import MONTH_PATTERN, PERIOD_PATTERN
from api.smorest import PageArgs, StrictSchema
from models.domain import settlement_state as st

MONTH = ma.validate.Regexp(
    MONTH_PATTERN, error="Must be a month YYYY-MM between 1970-01 and 8999-12."
)
PERIOD = ma.validate.Regexp(
    PERIOD_PATTERN,
    error="Must be a month YYYY-MM (1970-01..8999-12), or YYYY-MM.N for an adjustments-only run.",
)


ITEM_STATUSES = (st.PLANNED, st.SENT, st.CONFIRMED, st.DEFERRED, st.DUE, st.PENDING, st.PAID)
ITEM_STATUS_TEXT = (
    "A credit is planned, sent, then confirmed (paid to the wallet) or deferred (the wallet "
    "refused the transfer: the contract holds the amount for that account, which takes it "
    "with claim_owed(to)); a debit is due, pending (a signed payment was broadcast, its receipt "
    "not seen yet), then paid; a zero line is confirmed."
)
PAYMENT_STATUSES = (st.DUE, st.PENDING, st.PAID)


class SettleSchema(StrictSchema):
    month = ma.fields.String(required=True, validate=MONTH, metadata={"example": "2026-10"})


class StartedSchema(ma.Schema):
    status = ma.fields.String(metadata={"example": "posting"})
    status_url = ma.fields.String(metadata={"example": "/api/v1/grids/…/settlements/2026-10"})


class ItemSchema(ma.Schema):
    index = ma.fields.Integer()
    prosumer_id = ma.fields.String()
    account = ma.fields.String()
    amount_minor = ma.fields.Integer()
    amount_wei = ma.fields.String(metadata={"description": "Wei as decimal text."})
    kind = ma.fields.String(metadata={"example": "credit"})
    status = ma.fields.String(
        validate=ma.validate.OneOf(ITEM_STATUSES),
        metadata={"example": "confirmed", "description": ITEM_STATUS_TEXT},
    )
    tx_hash = ma.fields.String(allow_none=True)


class TxSchema(ma.Schema):
    kind = ma.fields.String(metadata={"example": "batch"})
    nonce = ma.fields.Integer(allow_none=True)
    tx_hash = ma.fields.String(allow_none=True)
    status = ma.fields.String(metadata={"example": "confirmed"})
    gas_used = ma.fields.Integer(allow_none=True)


class RunSchema(ma.Schema):
    grid_id = ma.fields.String()
    month = ma.fields.String()
    status = ma.fields.String(
        metadata={
            "description": "planned, posting, paying, confirming (waiting until its transactions "
            "are CONFIRMATIONS blocks deep; a reorged one is resolved again), settled, failed "
            "or unverifiable."
        }
    )
    verifiable = ma.fields.Boolean()
    root = ma.fields.String()
    period_id = ma.fields.String()
    count = ma.fields.Integer()
    credits_minor = ma.fields.Integer()
    debits_minor = ma.fields.Integer()
    wei_per_minor = ma.fields.String()
    contract = ma.fields.String(allow_none=True)
    chain_id = ma.fields.Integer(allow_none=True)
    started_at = ma.fields.String()
    finished_at = ma.fields.String(allow_none=True)
    error = ma.fields.String(allow_none=True)
    corrections = ma.fields.List(
        ma.fields.String(), metadata={"description": "Corrections whose adjustments it settles."}
    )
    totals = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Integer(),
        metadata={
            "description": "Line counts: credits_paid, credits_deferred, debits_due, "
            "debits_pending, debits_paid."
        },
    )
    deferred_wei = ma.fields.String(
        metadata={"description": "Wei of the deferred credits (owed on chain), decimal text."}
    )
    transactions = ma.fields.List(ma.fields.Nested(TxSchema))
    lines = ma.fields.List(ma.fields.Nested(ItemSchema))


class TimeframeLineSchema(ma.Schema):
    start = ma.fields.String(metadata={"example": "2026-10-01T00:00:00Z"})
    received_minor = ma.fields.Integer()
    paid_minor = ma.fields.Integer()


class EncodingSchema(ma.Schema):
    grid_key = ma.fields.String(metadata={"description": "bytes32: the grid's UUID, left-padded."})
    period_number = ma.fields.Integer(metadata={"example": 202610})
    leaf_bytes = ma.fields.String(
        metadata={"description": "grid_key | period | index | account | amount (5 words)."}
    )
    leaf = ma.fields.String(metadata={"description": "How the leaf and the tree are hashed."})


class AdjustmentLineSchema(ma.Schema):
    correction_id = ma.fields.String()
    timeframe_start = ma.fields.String(metadata={"format": "date-time"})
    month = ma.fields.String(metadata={"description": "The month the corrected timeframe is in."})
    version = ma.fields.Integer(metadata={"description": "The snapshot version it made."})
    amount_minor = ma.fields.Integer(metadata={"description": "Positive: the grid owes more."})


class StatementSchema(ma.Schema):
    month = ma.fields.String()
    index = ma.fields.Integer()
    prosumer_id = ma.fields.String()
    account = ma.fields.String()
    amount_minor = ma.fields.Integer(metadata={"description": "Positive: the grid owes it."})
    amount_wei = ma.fields.String()
    kind = ma.fields.String(metadata={"example": "debit"})
    status = ma.fields.String(
        validate=ma.validate.OneOf(ITEM_STATUSES), metadata={"description": ITEM_STATUS_TEXT}
    )
    imported_wh = ma.fields.Integer(
        metadata={
            "description": "Wh the prosumer received from the power plant in the month: per "
            "timeframe, the plant's delivered Wh split pro rata to the prosumers' deficits "
            "(largest remainder). Not part of the Merkle leaf.",
            "minimum": 0,
            "example": 41250,
        }
    )
    carbon_g = ma.fields.Integer(
        metadata={
            "description": "Carbon of those imports, grams: per timeframe, the grid's grams "
            "split pro rata to the imports (largest remainder), so the prosumers' grams sum to "
            "the grid's. Not part of the Merkle leaf.",
            "minimum": 0,
            "example": 33825,
        }
    )
    lines = ma.fields.List(ma.fields.Nested(TimeframeLineSchema))
    adjustments = ma.fields.List(
        ma.fields.Nested(AdjustmentLineSchema),
        metadata={
            "description": "Corrections settled in this statement (of this month, or of "
            "settled months): amount_minor = the lines' total + these amounts."
        },
    )
    encoding = ma.fields.Nested(EncodingSchema)
    leaf = ma.fields.String()
    proof = ma.fields.List(ma.fields.String())
    proof_valid = ma.fields.Boolean()
    root = ma.fields.String()
    period_id = ma.fields.String()
    contract = ma.fields.String(allow_none=True)
    chain_id = ma.fields.Integer(allow_none=True)
    on_chain = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Boolean())
    owed_wei = ma.fields.String(
        allow_none=True,
        metadata={
            "description": "Wei the contract holds for this account (deferred credits of any "
            "period, not yet claimed with claim_owed), decimal text; null if unverifiable."
        },
    )
    verifiable = ma.fields.Boolean()


class PaymentSchema(ma.Schema):
    to = ma.fields.String()
    data = ma.fields.String()
    value = ma.fields.String(metadata={"description": "Wei as decimal text."})
    chain_id = ma.fields.Integer()
    function = ma.fields.String(metadata={"example": "pay_debit"})
    args = ma.fields.Dict()
    sender = ma.fields.String(attribute="from", data_key="from")
    status = ma.fields.String(
        validate=ma.validate.OneOf(PAYMENT_STATUSES),
        metadata={
            "example": "due",
            "description": "due (sign and POST the call), pending (a payment was broadcast; "
            "see tx_hash) or paid (the contract marks the debit settled).",
        },
    )
    tx_hash = ma.fields.String(allow_none=True, metadata={"description": "Pending or paid tx."})


class SignedTxSchema(StrictSchema):
    signed_tx = ma.fields.String(
        required=True,
        validate=ma.validate.Regexp(r"^0x[0-9a-fA-F]+$"),
        metadata={"example": "0x02f8…"},
    )


class PaidSchema(ma.Schema):
    tx_hash = ma.fields.String()
    status = ma.fields.String(
        validate=ma.validate.OneOf((st.PENDING, st.PAID)), metadata={"example": "paid"}
    )
    value = ma.fields.String()
    status_url = ma.fields.String(
        metadata={
            "description": "The payment resource: its GET shows pending, then paid.",
            "example": "/api/v1/prosumers/…/statements/2026-10/payment",
        }
    )


class LinesArgs(PageArgs):
    pass
