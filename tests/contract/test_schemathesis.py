"""Schemathesis over the whole OpenAPI document of the real app, in process, as admin."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from collections.abc import Iterator
from typing import Any

import eth  # noqa: F401  py-evm raises the recursion limit on import; not inside hypothesis
import hypothesis.strategies as st
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.conftest import add_prosumer, fresh_pg_database, make_key, make_test_app

# Business rules a schema cannot state: the only refusals of schema-valid requests allowed,
# each listed in README "Errors" (status, pattern of the problem's detail).
REFUSALS = [
    (412, r"precondition .* failed"),  # If-Match is not the current ETag
    (400, r"to: (must be after from|range is limited to 400 days)"),
    (400, r"is not an IANA time zone name"),  # the tz list changes with tzdata releases
    (422, r"feed_in_price .* exceeds import_price"),
    (422, r"not on a \d+-minute timeframe boundary"),
    (422, r"needs the \w+ of an existing|no such prosumer"),  # referenced ids must exist
    (422, r"belongs to another grid|is inactive"),
    (422, r"expires_at must be in the future"),
    (422, r"must be below rated_m_s|must be at least rated_m_s|speeds must strictly increase"),
    (422, r"not a field of an? \w+ asset"),  # a PATCH with another type's parameters
    (422, r"members is (required|only) for a consumer_group"),  # a PATCH changing kind
    (422, r"has no latitude/longitude"),  # a simulation needs the sun's position
    (422, r"whole number of \d+-minute timeframes later"),  # a simulation's `to`
    (400, r"Must be between -?\d+ and \d+"),  # a weather value outside its plausible range
    (422, r"must be later than the previous row's time"),  # weather rows in time order
    (400, r"after: not a cursor this feed issued"),  # the event feed's cursors are opaque
    (400, r"at: give either at, or from and to"),  # autarky at a moment or over a range
    (422, r"private, loopback, link-local or reserved|carries no credentials|bad port"),
    # a text/csv weather body is a string to the schema: its header and rows are checked on arrival
    (400, r"The CSV (header must name the columns|body (is not UTF-8|contains a NUL|cannot))"),
    (400, r"Needs exactly four values"),
]


def only_listed_refusals(ctx: Any, response: Any, case: Any) -> None:
    """A schema-valid request may be refused only for a rule in REFUSALS."""
    if case.meta is None or not case.meta.generation.mode.is_positive:
        return
    if response.status_code not in {400, 412, 422}:
        return
    detail = json.loads(response.content or b"{}").get("detail", "")
    allowed = [pattern for status, pattern in REFUSALS if status == response.status_code]
    if not any(re.search(pattern, detail, re.IGNORECASE) for pattern in allowed):
        raise AssertionError(f"schema-valid request refused: {response.status_code} {detail}")


CHECKS = [
    schemathesis.checks.not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    negative_data_rejection,  # no invalid input accepted
    only_listed_refusals,
]
# Examples per operation (76 operations), positive and negative. The runs are derandomized, so
# PostgreSQL gets the first cases SQLite gets (where the engine-specific failures showed: NUL
# bytes, numbers out of range), not all of them again: generating a case costs more than the
# request it makes, and the API above the registry is the same code on both engines.
EXAMPLES = {"sqlite": 25, "postgresql": 10}
STATEFUL_SCENARIOS, STATEFUL_STEPS = 20, 8
T0 = "2026-10-01T00:00:00Z"
RANGE = {"from": T0, "to": "2026-10-02T00:00:00Z"}
GRID = {
    "name": "Contract grid",
    "timezone": "UTC",
    "timeframe_minutes": 15,
    "currency": "EUR",
    "import_price": "0.30",
    "feed_in_price": "0.10",
}


def seed(app: Any, headers: dict[str, str]) -> dict[str, str]:
    """A grid with prosumers, readings, a closed timeframe, a partner and a key."""
    client = app.test_client()
    grid = client.post("/api/v1/grids", json=GRID, headers=headers).json["id"]
    prosumers = [add_prosumer(client, headers, grid, n)["id"] for n in range(3)]
    lines = [
        {"prosumer_id": p, "produced_wh": 1000 * n, "consumed_wh": 500}
        for n, p in enumerate(prosumers)
    ]
    url = f"/api/v1/grids/{grid}/timeframes/{T0}"
    assert (
        client.put(url + "/readings", json={"readings": lines}, headers=headers).status_code == 200
    )
    assert client.post(url + "/close?force=true", headers=headers).status_code == 201
    partner = client.post(
        f"/api/v1/grids/{grid}/partners", json={"name": "p", "trust_level": 1}, headers=headers
    ).json["id"]
    key = client.post("/api/v1/keys", json={"role": "operator", "grid_id": grid}, headers=headers)
    pv = {"type": "pv", "name": "roof", "peak_power_w": 5000}
    asset = client.post(f"/api/v1/prosumers/{prosumers[0]}/assets", json=pv, headers=headers)
    webhook, delivery = _webhook_with_delivery(app, client, headers)
    community = _community_with_member(client, headers, grid, prosumers[1])
    return {
        "community_id": community,
        "webhook_id": webhook,
        "delivery_id": delivery,
        "grid_id": grid,
        "prosumer_id": prosumers[0],
        "partner_id": partner,
        "key_id": key.json["id"],
        "asset_id": asset.json["id"],
        "start": T0,
        "month": "2026-10",
    }


def _community_with_member(client: Any, headers: dict[str, str], grid: str, member: str) -> str:
    """A community of the grid holding one of its prosumers."""
    body = {"name": "c", "peak_threshold_w": 1000}
    community = client.post(f"/api/v1/grids/{grid}/communities", json=body, headers=headers)
    url = f"/api/v1/prosumers/{member}"
    etag = client.get(url, headers=headers).headers["ETag"]
    moved = client.patch(
        url, json={"community_id": community.json["id"]}, headers={**headers, "If-Match": etag}
    )
    assert moved.status_code == 200, moved.json
    return str(community.json["id"])


def _webhook_with_delivery(app: Any, client: Any, headers: dict[str, str]) -> tuple[str, str]:
    """A webhook subscribed before a close, with that close's delivery recorded."""
    from models.services.webhooks import fan_out

    hook = client.post("/api/v1/webhooks", json={"url": "https://example.com/in"}, headers=headers)
    url = f"/api/v1/grids/{client.get('/api/v1/grids', headers=headers).json[0]['id']}"
    client.post(f"{url}/timeframes/2026-10-01T00:15:00Z/close?force=true", headers=headers)
    fan_out(app.extensions["minigrid"])
    deliveries = client.get(f"/api/v1/webhooks/{hook.json['id']}/deliveries", headers=headers)
    return hook.json["id"], deliveries.json[0]["id"]


def make_ready(app: Any) -> None:
    """Deploy the settlement contract as an operator would (`flask ledger deploy`), if offered."""
    if "ledger" in app.cli.list_commands(None):
        result = app.test_cli_runner().invoke(args=["ledger", "deploy"])
        assert result.exit_code == 0, result.output
    ready = app.test_client().get("/health/ready")
    assert ready.status_code == 200, ready.json


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def contract_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Any, dict[str, str], dict[str, str]]]:
    """The app on a file SQLite registry, or on its own committed PostgreSQL database."""
    tmp = tmp_path_factory.mktemp("contract")
    with contextlib.ExitStack() as stack:
        if request.param == "sqlite":
            db = tmp / "registry.db"
            shutil.copy(request.getfixturevalue("sqlite_template"), db)
            url = f"sqlite:///{db}"
        else:
            url = stack.enter_context(fresh_pg_database())
        app = make_test_app(url, tmp)
        headers = make_key(app, role="admin")
        make_ready(app)
        yield app, headers, seed(app, headers)
        app.extensions["minigrid"].close()


@pytest.fixture(scope="module")
def api_schema(contract_app: tuple[Any, dict[str, str], dict[str, str]]) -> Any:
    return schemathesis.openapi.from_wsgi("/openapi.json", contract_app[0])


def cases(operation: Any, known: dict[str, str]) -> Any:
    """Valid cases on seeded objects, valid cases anywhere, and invalid cases."""
    names = [p.name for p in operation.path_parameters]
    seeded = {name: known[name] for name in names if name in known}
    query = {p.name for p in operation.query}
    window = RANGE if {"from", "to"} <= query else None
    all_but_one = [  # every path parameter in turn is generated while the others exist
        {k: v for k, v in seeded.items() if k != name} for name in seeded if len(seeded) > 1
    ]
    return st.one_of(
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=seeded, query=window),
        operation.as_strategy(GenerationMode.POSITIVE, path_parameters=seeded),
        *(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=p) for p in all_but_one),
        operation.as_strategy(GenerationMode.NEGATIVE, path_parameters=seeded),
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def run_operation(
    operation: Any, headers: dict[str, str], known: dict[str, str], seen: set[int], examples: int
) -> None:
    """Hypothesis over one operation; raises the first failure it finds."""

    @settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=cases(operation, known))
    def check(case: Any) -> None:
        seen.add(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    check()


def describe(exc: BaseException) -> str:
    """A failure's messages, each sub-failure on its own."""
    if isinstance(exc, BaseExceptionGroup):
        return "\n".join(describe(sub) for sub in exc.exceptions)
    return f"{type(exc).__name__}: {exc}"[:2000]


def test_api_conforms_to_its_document(
    api_schema: Any,
    contract_app: tuple[Any, dict[str, str], dict[str, str]],
    request: pytest.FixtureRequest,
) -> None:
    _, headers, known = contract_app
    examples = EXAMPLES[request.node.callspec.params["contract_app"]]
    failures: dict[str, str] = {}
    statuses: dict[str, set[int]] = {}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 20
    for operation in operations:
        try:
            seen = statuses.setdefault(operation.label, set())
            run_operation(operation, headers, known, seen, examples)
        except (Exception, BaseExceptionGroup) as exc:  # collect all, then report
            failures[operation.label] = describe(exc)
    assert not failures, "\n\n".join(f"{k}\n{v}" for k, v in failures.items())
    unreached = [label for label, seen in statuses.items() if not any(c < 300 for c in seen)]
    assert len(unreached) <= len(operations) // 3, f"too few successes: {unreached}"


def test_stateful_sequences_conform(
    api_schema: Any, contract_app: tuple[Any, dict[str, str], dict[str, str]]
) -> None:
    """Schemathesis's stateful phase: chains of calls that reuse the ids earlier answers gave."""
    headers = contract_app[1]

    class Machine(api_schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Any) -> dict[str, Any]:
            return {"headers": headers}

        def validate_response(self, response: Any, case: Any, **kwargs: Any) -> None:
            case.validate_response(response, checks=CHECKS)

    Machine.run(
        settings=settings(
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
    )
