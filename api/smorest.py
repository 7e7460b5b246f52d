"""flask-smorest tuned to this API: problem+json errors, 400 on validation, strict schemas."""

from __future__ import annotations

import http
from collections.abc import Mapping
from typing import Any

import marshmallow as ma
from apispec import BasePlugin
from flask import current_app, request
from flask_smorest import Api as BaseApi
from flask_smorest import Blueprint as BaseBlueprint
from flask_smorest.spec import prepare_response
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import UnsupportedMediaType

from api import jsonbody
from api.errors import PROBLEM, ProblemSchema, handle_http_exception, problem
from api.fields import INSTANT_PATTERN, PERIOD_PATTERN
from api.representations import remember


class Parser(FlaskParser):
    """Validation errors are 400; a body is JSON (else 415), bounded, its fractions Decimal.

    Query arguments of a schema with `LOADS_FROM_QUERY_ONLY` are remembered by the query string:
    loading them is a pure function of it, so a hit equals a fresh load (errors are not kept).
    """

    DEFAULT_VALIDATION_STATUS = 400

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._loaded: dict[tuple[Any, bytes], dict[str, Any]] = {}

    def parse(self, argmap: Any, req: Any = None, *, location: str | None = None, **kw: Any) -> Any:
        if location != "query" or not getattr(argmap, "LOADS_FROM_QUERY_ONLY", False):
            return super().parse(argmap, req, location=location, **kw)
        query = (req or request).query_string
        key = (argmap, query)
        loaded = self._loaded.get(key)
        if loaded is None:
            loaded = super().parse(argmap, req, location=location, **kw)
            if len(query) <= MAX_REMEMBERED_QUERY:
                remember(self._loaded, key, loaded, REMEMBERED)
        return dict(loaded)  # the view may change its copy

    def _raw_load_json(self, req: Any) -> Any:
        data = req.get_data(cache=True)
        if not data:
            return core.missing
        if not is_json_request(req):
            raise UnsupportedMediaType(
                f"Send the body as application/json, not {req.mimetype or 'without a type'}."
            )
        return jsonbody.loads(data)


MAX_REMEMBERED_QUERY = 1024  # longer query strings are loaded every time
REMEMBERED = 4096  # entries per table; a full table is emptied


BODY_PROBLEMS = {
    413: http.HTTPStatus(413).name,  # larger than MAX_CONTENT_LENGTH, or too many items
    415: http.HTTPStatus(415).name,
}


class Blueprint(BaseBlueprint):
    ARGUMENTS_PARSER = Parser()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.before_request(refuse_unknown_query)

    def arguments(self, schema: Any, *, location: str = "json", **kwargs: Any) -> Any:
        """As flask-smorest's, and a JSON body documents its 413 and 415 problems."""
        decorate = super().arguments(schema, location=location, **kwargs)

        def decorator(func: Any) -> Any:
            wrapped = decorate(func)
            if location == "json":
                wrapped._apidoc["arguments"]["responses"].update(BODY_PROBLEMS)
            return wrapped

        return decorator

    def problems(self, *codes: int) -> Any:
        """Document the problem responses an operation can give."""

        def decorator(func: Any) -> Any:
            for code in codes:
                func = self.alt_response(code, response=http.HTTPStatus(code).name)(func)
            return func

        return decorator


PATH_PARAMETERS = {
    "start": ("Timeframe start, ISO 8601 UTC.", "2026-10-01T00:15:00Z"),
    "month": (
        "Settlement period: a calendar month in the grid's time zone, or YYYY-MM.N for the "
        "N-th adjustments-only run of that month.",
        "2026-10",
    ),
}
PATH_SCHEMAS = {
    "start": {"type": "string", "format": "date-time", "pattern": INSTANT_PATTERN},
    "month": {"type": "string", "pattern": PERIOD_PATTERN},
}
UUID_EXAMPLE = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


class PathExamples(BasePlugin):
    """Give every path parameter a description and an example in the document."""

    def path_helper(
        self, path: Any = None, operations: Any = None, parameters: Any = None, **kwargs: Any
    ) -> None:
        for param in parameters or []:
            if not isinstance(param, Mapping) or param.get("in") != "path":
                continue
            name = param["name"]
            what = name.removesuffix("_id")
            description, example = PATH_PARAMETERS.get(name, (f"The {what}'s id.", UUID_EXAMPLE))
            param.setdefault("description", description)
            param.setdefault("example", example)
            if name in PATH_SCHEMAS:
                param["schema"] = dict(PATH_SCHEMAS[name])


class SchemaRules(BasePlugin):
    """Add a schema class's JSON_SCHEMA (rules across fields, e.g. oneOf) to its component."""

    def schema_helper(self, name: str, definition: Any, **kwargs: Any) -> dict[str, Any] | None:
        schema = kwargs.get("schema")
        return getattr(schema, "JSON_SCHEMA", None)


NO_NUL = "^[^\\x00]*$"


def no_nul_text(converter: Any, field: ma.fields.Field, ret: dict[str, Any], **_: Any) -> dict:
    """State StrictSchema's rule in the document: input text carries no NUL character."""
    kind = ret.get("type")
    text = kind == "string" or (isinstance(kind, list) and "string" in kind)
    if not text or field.dump_only or {"pattern", "format", "enum"} & set(ret):
        return {}
    return {"pattern": NO_NUL}


class Api(BaseApi):
    ERROR_SCHEMA = ProblemSchema

    def __init__(self, app: Any) -> None:
        plugins = [PathExamples(), SchemaRules()]
        super().__init__(app, spec_kwargs={"extra_plugins": plugins})
        self.ma_plugin.converter.add_attribute_function(no_nul_text)

    DEFAULT_ERROR_RESPONSE_NAME = None  # every status an operation gives is documented by name

    def _register_error_handlers(self) -> None:
        self._app.register_error_handler(Exception, _dispatch)

    def _register_responses(self) -> None:
        for status in http.HTTPStatus:
            response: dict[str, Any] = {"description": status.phrase}
            if status >= 400:
                response["schema"] = self.ERROR_SCHEMA
                prepare_response(response, self.spec, PROBLEM)
            else:
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)
        response = {"description": "Default error response", "schema": self.ERROR_SCHEMA}
        prepare_response(response, self.spec, PROBLEM)
        self.spec.components.response("DEFAULT_ERROR", response, lazy=True)


def _dispatch(error: Exception) -> Any:
    from api.errors import handle_unexpected

    return handle_unexpected(error)


class StrictSchema(ma.Schema):
    """Unknown fields are an error, never silently dropped; text may not carry NUL characters."""

    class Meta:
        unknown = ma.RAISE
        ordered = True

    @ma.pre_load
    def _no_nul(self, data: Any, **_: Any) -> Any:
        if isinstance(data, Mapping):
            bad = [k for k, v in data.items() if isinstance(v, str) and "\x00" in v]
            if bad:
                raise ma.ValidationError({k: ["Must not contain NUL characters."] for k in bad})
        return data


_QUERY_NAMES: dict[tuple[str, str], frozenset[str]] = {}
_UNKNOWN: dict[tuple[str, str, bytes], list[str]] = {}


def refuse_unknown_query() -> Any:
    """400 naming each query parameter the operation does not take, as for body fields."""
    query = request.query_string
    if not query:
        return None
    key = (request.endpoint or "", request.method, query)
    unknown = _UNKNOWN.get(key)
    if unknown is None:
        unknown = _unknown_names(key[0], key[1])
        if len(query) <= MAX_REMEMBERED_QUERY:
            remember(_UNKNOWN, key, unknown, REMEMBERED)
    if not unknown:
        return None
    errors = {f"query.{name}": ["Unknown field."] for name in unknown}
    detail = "; ".join(f"{name}: Unknown field." for name in errors)
    return problem(400, "Validation failed", detail, "validation", errors=errors)


def _unknown_names(endpoint: str, method: str) -> list[str]:
    """The request's query parameter names the operation does not take, sorted."""
    allowed = _QUERY_NAMES.get((endpoint, method))
    if allowed is None:
        allowed = _QUERY_NAMES[endpoint, method] = _query_names(endpoint, method)
    return sorted(set(request.args) - allowed)


def _query_names(endpoint: str, method: str) -> frozenset[str]:
    """The query parameters an operation documents (none when it takes no query arguments)."""
    view = current_app.view_functions.get(endpoint)
    view_class = getattr(view, "view_class", None)
    name = "get" if method == "HEAD" else method.lower()
    func = getattr(view_class, name, None) if view_class else view
    names: set[str] = set()
    for param in getattr(func, "_apidoc", {}).get("arguments", {}).get("parameters", []):
        if param["in"] == "query":
            schema = param["schema"]
            schema = schema() if isinstance(schema, type) else schema
            names.update(f.data_key or n for n, f in schema.fields.items() if not f.dump_only)
    return frozenset(names)


MAX_PAGE = 10**9  # keeps the SQL OFFSET inside a 64-bit integer


class PageArgs(StrictSchema):
    LOADS_FROM_QUERY_ONLY = True  # pure: Parser may remember a load by its query string

    page = ma.fields.Integer(
        load_default=1,
        validate=ma.validate.Range(min=1, max=MAX_PAGE),
        metadata={"description": f"1-based, at most {MAX_PAGE}.", "example": 1},
    )
    page_size = ma.fields.Integer(
        load_default=100,
        validate=ma.validate.Range(min=1, max=1000),
        metadata={"description": "Items per page, at most 1000.", "example": 100},
    )


PAGE_HEADERS = {
    "X-Total-Count": {"description": "Items across all pages.", "schema": {"type": "integer"}},
    "Link": {"description": "RFC 8288 links, rel=next and rel=prev.", "schema": {"type": "string"}},
}


_HEADERS: dict[tuple[Any, ...], dict[str, str]] = {}
# what a request's base URL and query are made of (werkzeug's Request.base_url, Request.args)
_URL_PARTS = ("wsgi.url_scheme", "HTTP_HOST", "SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME")


def page_headers(total: int, page: int, size: int) -> dict[str, str]:
    """X-Total-Count and Link rel=next/prev for the current request (remembered by its URL)."""
    environ = request.environ
    query = environ.get("QUERY_STRING", "")
    key = (*map(environ.get, _URL_PARTS), environ.get("PATH_INFO"), query, total, page, size)
    headers = _HEADERS.get(key)
    if headers is None:
        headers = _page_headers(total, page, size)
        if len(query) <= MAX_REMEMBERED_QUERY:
            remember(_HEADERS, key, headers, REMEMBERED)
    return dict(headers)  # the response may change its copy


def _page_headers(total: int, page: int, size: int) -> dict[str, str]:
    links = []
    args = request.args.to_dict()
    base = request.base_url
    if page * size < total:
        links.append(_link(base, args, page + 1, size, "next"))
    if page > 1:
        links.append(_link(base, args, page - 1, size, "prev"))
    headers = {"X-Total-Count": str(total)}
    if links:
        headers["Link"] = ", ".join(links)
    return headers


def page(body: Any, total: int, args: Mapping[str, Any]) -> tuple[Any, int, dict[str, str]]:
    """A list response: the body, 200, and the paging headers for `args` (page, page_size)."""
    return body, 200, page_headers(total, args["page"], args["page_size"])


def _link(base: str, args: dict[str, str], page: int, size: int, rel: str) -> str:
    from urllib.parse import urlencode

    query = urlencode({**args, "page": page, "page_size": size})
    return f'<{base}?{query}>; rel="{rel}"'


__all__ = [
    "Api",
    "Blueprint",
    "PageArgs",
    "StrictSchema",
    "handle_http_exception",
    "page",
    "page_headers",
]
