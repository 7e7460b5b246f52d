"""A relational store that does not answer gives a fast 503 problem naming it, never a 500."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import make_test_app


def test_requests_while_postgresql_is_down_answer_503(tmp_path: Path) -> None:
    app = make_test_app("postgresql://postgres@127.0.0.1:1/down", tmp_path, STORE_TIMEOUT_S=1)
    client = app.test_client()
    headers = {"Authorization": "Bearer mg_abcdefgh_" + "x" * 40}
    try:
        responses = [
            client.get("/api/v1/grids", headers=headers),
            client.put(
                "/api/v1/prosumers/8d5e0b1c-6a7f-4c1e-9a3b-2f1d0c9b8a71/readings/2026-10-01T00:00:00Z",
                json={"produced_wh": 1, "consumed_wh": 2},
                headers=headers,
            ),
        ]
    finally:
        app.extensions["minigrid"].close()
    for response in responses:
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.content_type == "application/problem+json"
        assert "relational store" in response.json["detail"]
        assert response.headers["Retry-After"] == "1"
