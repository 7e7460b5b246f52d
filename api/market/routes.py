"""Orders with the grid, transactions and balances."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from api.auth.policy import access, see_grid, see_prosumer
from api.context import container
from api.market.schemas import (
    BalanceArgs,
    BalanceSchema,
    GridTransactionArgs,
    IdempotencyHeaders,
    OrderSchema,
    PageSumsSchema,
    TradeSchema,
    TransactionPageSchema,
)
from api.metering.schemas import RangeArgs
from api.representations import Representations, json_response, recent_total
from api.smorest import PAGE_HEADERS, Blueprint, PageArgs, page
from models.services import market, registry

blp = Blueprint("market", __name__, url_prefix="/api/v1", description="Orders and transactions.")
ORDER_EXAMPLE = {
    "timeframe_start": "2026-10-01T00:15:00Z",
    "side": "sell",
    "energy_wh": 1500,
    "limit_price": "0.18",
}
TRADE_JSON = Representations(TradeSchema())
SUMS_JSON = Representations(PageSumsSchema())


def _transactions(body: dict[str, Any], total: int, args: dict[str, Any]) -> Any:
    """A TransactionPageSchema response; each (immutable) trade dumped once per process."""
    sums = SUMS_JSON.item(body["page_sums"])
    trades = TRADE_JSON.array(body["transactions"])
    data = b'{"page_sums":' + sums + b',"transactions":' + trades + b"}\n"
    return page(json_response(data), total, args)


def _own_prosumer(uow: Any, prosumer_id: Any) -> Any:
    prosumer = registry.get_prosumer(uow, str(prosumer_id))
    see_prosumer(prosumer)
    return prosumer


@blp.route("/prosumers/<uuid:prosumer_id>/orders")
class ProsumerOrders(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(IdempotencyHeaders, location="headers")
    @blp.arguments(OrderSchema, example=ORDER_EXAMPLE)
    @blp.response(201, OrderSchema, headers={"Location": {"schema": {"type": "string"}}})
    @blp.problems(404, 409, 422)
    def post(self, headers: dict[str, Any], body: dict[str, Any], prosumer_id: Any) -> Any:
        """Place an order with the grid for an open timeframe (Idempotency-Key required)."""
        with container().uow() as uow:
            prosumer = _own_prosumer(uow, prosumer_id)
            order, replay = market.place_order(uow, prosumer, headers["idempotency_key"], body)
        location = url_for("market.OrderById", order_id=order.id)
        return order, 201, {"Location": location, "Idempotent-Replayed": str(replay).lower()}

    @access("admin", "operator", "prosumer")
    @blp.arguments(PageArgs, location="query")
    @blp.response(200, OrderSchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], prosumer_id: Any) -> Any:
        """List a prosumer's orders, newest timeframe first."""
        with container().uow(write=False) as uow:
            prosumer = _own_prosumer(uow, prosumer_id)
            items, total = market.list_orders(uow, prosumer, args["page"], args["page_size"])
        return page(items, total, args)


@blp.route("/orders/<uuid:order_id>")
class OrderById(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.response(200, OrderSchema)
    @blp.problems(404)
    def get(self, order_id: Any) -> Any:
        """Read an order and its fill."""
        with container().uow(write=False) as uow:
            order = market.get_order(uow, str(order_id))
            _own_prosumer(uow, order.prosumer_id)
        return order

    @access("admin", "operator", "prosumer")
    @blp.response(200, OrderSchema)
    @blp.problems(404, 409)
    def delete(self, order_id: Any) -> Any:
        """Cancel an open order (idempotent)."""
        with container().uow() as uow:
            order = market.get_order(uow, str(order_id))
            _own_prosumer(uow, order.prosumer_id)
            return market.cancel_order(uow, order)


@blp.route("/grids/<uuid:grid_id>/transactions")
class GridTransactions(MethodView):
    @access("admin", "operator")
    @blp.arguments(GridTransactionArgs(), location="query")  # one instance, not one per request
    @blp.response(200, TransactionPageSchema, headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], grid_id: Any) -> Any:
        """List a grid's trades, newest first, with per-page sums."""
        see_grid(str(grid_id))
        body, total = market.list_transactions(
            container(),
            str(grid_id),
            args,
            args.get("prosumer_id"),
            args.get("counterparty"),
            recent_total,
        )
        if not body["transactions"]:  # trades name their grid: an unknown one has none
            with container().reading() as reads:
                registry.check_grid(reads, str(grid_id))
        return _transactions(body, total, args)


@blp.route("/prosumers/<uuid:prosumer_id>/transactions")
class ProsumerTransactions(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(RangeArgs(), location="query")  # one instance, not one per request
    @blp.response(200, TransactionPageSchema, headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], prosumer_id: Any) -> Any:
        """List a prosumer's trades, newest first, with per-page sums."""
        with container().uow(write=False) as uow:
            prosumer = _own_prosumer(uow, prosumer_id)
        body, total = market.list_transactions(
            container(), prosumer.grid_id, args, prosumer.id, None, recent_total
        )
        return _transactions(body, total, args)


@blp.route("/prosumers/<uuid:prosumer_id>/balance")
class ProsumerBalance(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(BalanceArgs, location="query")
    @blp.response(200, BalanceSchema)
    @blp.problems(404)
    def get(self, args: dict[str, Any], prosumer_id: Any) -> Any:
        """A prosumer's energy sold and bought and money received and paid over a range."""
        with container().uow(write=False) as uow:
            prosumer = _own_prosumer(uow, prosumer_id)
        return market.balance(container(), prosumer, args["start_from"], args["start_to"])
