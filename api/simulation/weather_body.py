"""The body of `PUT …/weather`: JSON `{"rows": [...]}` or CSV with a header line, one schema."""

from __future__ import annotations

import csv
import io
from typing import Any

import marshmallow as ma
from flask import request
from flask_smorest import abort
from webargs.flaskparser import is_json_request
from werkzeug.exceptions import UnsupportedMediaType

from api import jsonbody
from api.simulation.schemas import WeatherSchema

COLUMNS = ("time", "wind_speed_m_s", "ghi_w_m2", "temperature_c")
CSV_EXAMPLE = (
    "time,wind_speed_m_s,ghi_w_m2,temperature_c\n"
    "2026-06-01T12:00:00Z,6.5,640,18.5\n"
    "2026-06-01T12:15:00Z,7.1,655,18.9\n"
)


def weather_rows() -> list[dict[str, Any]]:
    """The request's rows, loaded by WeatherSchema, or a 400/415 problem naming row and field."""
    data = request.get_data(cache=True)
    if request.mimetype == "text/csv":
        body: Any = {"rows": _csv_rows(data)}
    elif is_json_request(request):
        body = jsonbody.loads(data) if data else {}
    else:
        raise UnsupportedMediaType(
            f"Send the series as application/json or text/csv, not {request.mimetype or 'untyped'}."
        )
    try:
        loaded: dict[str, Any] = WeatherSchema().load(body)
    except ma.ValidationError as exc:
        abort(400, errors={"json": exc.messages})
    return list(loaded["rows"])


def _csv_rows(data: bytes) -> list[dict[str, Any]]:
    """Rows of a CSV body whose first line names exactly the four columns (any order)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        abort(400, message=f"The CSV body is not UTF-8: {exc.reason}.")
    if "\x00" in text:
        abort(400, message="The CSV body contains a NUL character.")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [name.strip() for name in reader.fieldnames or []]
    if sorted(header) != sorted(COLUMNS):
        abort(
            400, message=f"The CSV header must name the columns {', '.join(COLUMNS)}; got {header}."
        )
    reader.fieldnames = header
    rows = []
    try:
        for index, row in enumerate(reader):
            if None in row or None in row.values():
                abort(400, errors={"json": {"rows": {index: ["Needs exactly four values."]}}})
            rows.append({k: v.strip() for k, v in row.items()})
    except csv.Error as exc:
        abort(400, message=f"The CSV body cannot be read: {exc}.")
    return rows
