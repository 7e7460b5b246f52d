"""The dashboard's files: its pages and modules, and uPlot and ethers from node_modules.

Nothing here reads a store: the pages are clients of the public API like any other, with the
key the user pastes. The two libraries are served from the `npm ci` install (no CDN, no build
step), each from one named file, so nothing else under node_modules is reachable.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

from api.errors import problem

STATIC = Path(__file__).parent / "static"
NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
VENDOR = {
    "uPlot.esm.js": "uplot/dist/uPlot.esm.js",
    "uPlot.min.css": "uplot/dist/uPlot.min.css",
    "ethers.min.js": "ethers/dist/ethers.min.js",
}
# the pages load only their own files; the chain node may be anywhere the user points it
POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self' http: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

blp = Blueprint("dashboard", __name__, url_prefix="/dashboard")


@blp.after_request
def _headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@blp.get("/")
def index() -> Response:
    return send_from_directory(STATIC, "index.html", max_age=0)


@blp.get("/vendor/<name>")
def vendor(name: str) -> Response:
    """One of the libraries the pages import, from the npm install."""
    path = VENDOR.get(name)
    if path is None:
        return problem(404, "Not found", f"no vendored file {name!r}")
    if not (NODE_MODULES / path).is_file():
        return problem(404, "Not found", f"{path} is not installed: run `npm ci` (make install)")
    return send_from_directory(NODE_MODULES, path, max_age=86400)


@blp.get("/<path:filename>")
def static_file(filename: str) -> Response:
    return send_from_directory(STATIC, filename, max_age=0)
