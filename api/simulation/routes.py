"""Simulations of a grid, a prosumer's energy flows and a grid's measured weather."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.views import MethodView

from api.auth.policy import access, see_grid, see_prosumer
from api.context import container
from api.simulation.schemas import (
    FlowArgs,
    FlowSchema,
    SimulateSchema,
    SimulationSchema,
    WeatherSchema,
    WeatherSeriesSchema,
)
from api.simulation.weather_body import CSV_EXAMPLE, weather_rows
from api.smorest import PAGE_HEADERS, Blueprint, page
from models.services import registry
from models.services.flows import list_flows
from models.services.simulation_jobs import simulation_status, start_simulation
from models.services.weather import put_weather, read_weather

blp = Blueprint(
    "simulation",
    __name__,
    url_prefix="/api/v1",
    description="Simulated grids: runs, energy flows per prosumer, measured weather.",
)
LOCATION = {"Location": {"schema": {"type": "string"}}}
WEATHER_EXAMPLE = {
    "rows": [
        {
            "time": "2026-06-01T12:00:00Z",
            "wind_speed_m_s": "6.5",
            "ghi_w_m2": "640",
            "temperature_c": "18.5",
        }
    ]
}


def _with_url(run: dict[str, Any]) -> dict[str, Any]:
    url = url_for("simulation.Simulation", grid_id=run["grid_id"], simulation_id=run["id"])
    return {**run, "status_url": url}


@blp.route("/grids/<uuid:grid_id>/simulations")
class Simulations(MethodView):
    @access("admin", "operator")
    @blp.arguments(
        SimulateSchema,
        example={"from": "2026-06-01T00:00:00Z", "to": "2026-06-02T00:00:00Z", "seed": 7},
    )
    @blp.response(202, SimulationSchema, headers=LOCATION, description="Started.")
    @blp.alt_response(200, schema=SimulationSchema, description="The same run is under way.")
    @blp.problems(404, 422)
    def post(self, body: dict[str, Any], grid_id: Any) -> Any:
        """Simulate a range of the grid in the background."""
        see_grid(str(grid_id))
        run, started = start_simulation(
            container(),
            str(grid_id),
            body["start_from"],
            body["start_to"],
            seed=body["seed"],
            close=body["close"],
        )
        shown = _with_url(run)
        return shown, 202 if started else 200, {"Location": shown["status_url"]}


@blp.route("/grids/<uuid:grid_id>/simulations/<uuid:simulation_id>")
class Simulation(MethodView):
    @access("admin", "operator")
    @blp.response(200, SimulationSchema)
    @blp.problems(404)
    def get(self, grid_id: Any, simulation_id: Any) -> Any:
        """A simulation's status, progress and summary."""
        see_grid(str(grid_id))
        return _with_url(simulation_status(container(), str(grid_id), str(simulation_id)))


@blp.route("/prosumers/<uuid:prosumer_id>/flows")
class ProsumerFlows(MethodView):
    @access("admin", "operator", "prosumer")
    @blp.arguments(FlowArgs, location="query")
    @blp.response(200, FlowSchema(many=True), headers=PAGE_HEADERS)
    @blp.problems(404)
    def get(self, args: dict[str, Any], prosumer_id: Any) -> Any:
        """A prosumer's simulated energy flows per timeframe: what the house ran on."""
        with container().uow(write=False) as uow:
            prosumer = registry.get_prosumer(uow, str(prosumer_id))
        see_prosumer(prosumer)
        items, total = list_flows(
            container(),
            prosumer,
            args["start_from"],
            args["start_to"],
            args["page"],
            args["page_size"],
        )
        return page(items, total, args)


@blp.route("/grids/<uuid:grid_id>/weather")
class GridWeather(MethodView):
    @access("admin", "operator")
    @blp.response(200, WeatherSeriesSchema)
    @blp.problems(404)
    def get(self, grid_id: Any) -> Any:
        """The grid's measured weather series (empty when none was uploaded)."""
        see_grid(str(grid_id))
        return read_weather(container(), str(grid_id))

    @access("admin", "operator")
    @blp.doc(
        requestBody={
            "required": True,
            "description": 'JSON `{"rows": [...]}` or CSV whose first line names the columns '
            "time, wind_speed_m_s, ghi_w_m2, temperature_c. Rows are counted from 0 (the CSV "
            "header is not a row).",
            "content": {
                "application/json": {"schema": WeatherSchema, "example": WEATHER_EXAMPLE},
                "text/csv": {"schema": {"type": "string"}, "example": CSV_EXAMPLE},
            },
        }
    )
    @blp.response(200, WeatherSeriesSchema, description="The stored series.")
    @blp.problems(400, 404, 413, 415, 422)
    def put(self, grid_id: Any) -> Any:
        """Replace the grid's measured weather series (JSON or CSV)."""
        see_grid(str(grid_id))
        return put_weather(container(), str(grid_id), weather_rows())
