"""Swagger UI's static files, served from the flask-swagger-ui package: no CDN."""

from __future__ import annotations

from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, send_from_directory
from werkzeug.wrappers import Response

DIST = Path(flask_swagger_ui.__file__).parent / "dist"
ASSETS_URL = "/swagger-ui/assets/"

blp = Blueprint("swagger_assets", __name__)


@blp.get(ASSETS_URL + "<path:filename>")
def asset(filename: str) -> Response:
    return send_from_directory(DIST, filename, max_age=86400)
