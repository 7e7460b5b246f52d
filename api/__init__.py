"""The Flask application factory."""

from __future__ import annotations

import functools
from typing import Any

from flask import Flask, g, request
from flask.sessions import NullSession, SessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from api import errors, representations, requestlog
from api.auth import policy
from api.config import load_config
from api.representations import SAFE_METHODS
from api.smorest import Api
from models.bootstrap import Container

API_DESCRIPTION = """The money side of a community microgrid: prosumers report energy per timeframe,
the grid nets and clears it, and settles each month on a blockchain.

Authenticate with `Authorization: Bearer mg_…` (Authorize button). Errors are
`application/problem+json` (RFC 9457)."""


def _limit_key() -> str:
    who = getattr(g, "principal", None)
    return f"key:{who.key_id}" if who else get_remote_address()


def _safe_method() -> bool:
    """Only writes are rate limited: the limiter skips reads before working out any limit."""
    return request.method in SAFE_METHODS


def _limit_writes_only(app: Flask, limiter: Limiter) -> None:
    """Run the limiter's request hooks for writes only: a read skips even working out limits."""

    def owned(hook: Any) -> bool:
        bound = hook.args[0] if isinstance(hook, functools.partial) and hook.args else None
        return getattr(hook, "__self__", bound) is limiter

    def on_writes(hook: Any) -> Any:
        @functools.wraps(hook)
        def guarded(*args: Any) -> Any:
            if request.method in SAFE_METHODS:
                return args[0] if args else None  # after_request hooks return the response
            return hook(*args)

        return guarded

    for hooks in (app.before_request_funcs, app.after_request_funcs, app.teardown_request_funcs):
        chain = hooks.get(None, [])
        chain[:] = [on_writes(h) if owned(h) else h for h in chain]  # type: ignore[index]


class NoCookieSession(SessionInterface):
    """The API never uses Flask's cookie session: skip opening and saving it."""

    null = NullSession()  # raises on any write, so one instance serves every request

    def open_session(self, app: Flask, request: object) -> NullSession:  # type: ignore[override]
        return self.null

    def save_session(self, app: Flask, session: object, response: object) -> None:  # type: ignore[override]
        return None


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app from defaults, the settings file, the environment and `config`."""
    app = Flask(__name__)
    app.session_interface = NoCookieSession()
    settings = load_config(config)
    app.config.update(settings)
    app.config.update(
        API_TITLE="Minigrid",
        API_VERSION="1.0.0",
        OPENAPI_VERSION="3.1.0",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="/swagger-ui",
        OPENAPI_SWAGGER_UI_URL="/swagger-ui/assets/",
        OPENAPI_SWAGGER_UI_CONFIG={"persistAuthorization": True, "validatorUrl": None},
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "components": {
                "securitySchemes": {
                    policy.SCHEME: {"type": "http", "scheme": "bearer", "bearerFormat": "mg_…"}
                }
            },
        },
        RATELIMIT_HEADERS_ENABLED=True,
        RATELIMIT_STORAGE_URI=settings["RATELIMIT_STORAGE_URI"],
    )
    requestlog.configure_logging(settings["LOG_LEVEL"])
    app.extensions["minigrid"] = Container(settings)
    requestlog.init_app(app)
    policy.init_app(app)
    representations.init_app(app)
    _register_api(app)
    _register_dashboard(app)
    errors.register(app)
    from api import cli

    cli.register(app)
    return app


def _register_api(app: Flask) -> None:
    from api.assets.routes import blp as assets_blp
    from api.communities.routes import blp as communities_blp
    from api.corrections.routes import blp as corrections_blp
    from api.docs.routes import blp as docs_blp
    from api.events.routes import blp as events_blp
    from api.grids.routes import blp as grids_blp
    from api.health.routes import blp as health_blp
    from api.keys.routes import blp as keys_blp
    from api.market.routes import blp as market_blp
    from api.metering.routes import blp as metering_blp
    from api.partnerdata.routes import blp as partnerdata_blp
    from api.price.routes import blp as price_blp
    from api.prosumers.routes import blp as prosumers_blp
    from api.settlement.routes import blp as settlement_blp
    from api.simulation.routes import blp as simulation_blp
    from api.webhooks.routes import blp as webhooks_blp

    limiter = Limiter(_limit_key, app=app, default_limits=[])
    limiter.request_filter(_safe_method)
    _limit_writes_only(app, limiter)
    api = Api(app)
    app.register_blueprint(docs_blp)
    api.register_blueprint(health_blp)
    blps = (grids_blp, prosumers_blp, metering_blp, market_blp, price_blp, keys_blp, settlement_blp)
    blps += (assets_blp,)
    blps += (simulation_blp,)
    blps += (events_blp, webhooks_blp)
    blps += (corrections_blp,)
    blps += (communities_blp, partnerdata_blp)
    for blp in blps:
        limiter.limit(app.config["WRITE_RATE_LIMIT"], exempt_when=_safe_method)(blp)
        api.register_blueprint(blp)
    app.extensions["minigrid_api"] = api


def _register_dashboard(app: Flask) -> None:
    """The browser dashboard's static pages under /dashboard/ (a client of the API)."""
    from api.dashboard.routes import blp as dashboard_blp

    app.register_blueprint(dashboard_blp)
