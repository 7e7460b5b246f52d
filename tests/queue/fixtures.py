"""The task queue on each storage: huey's SQLite file, and Redis (127.0.0.1:6379, or
TEST_REDIS_URL) when it answers; in CI a missing Redis fails instead of skipping."""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _skip_or_fail

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_or_skip() -> str:
    """REDIS_URL if a Redis server answers there; skip (fail in CI) otherwise."""
    import redis

    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1) as client:
            client.ping()
    except redis.RedisError as exc:
        _skip_or_fail(f"no Redis at {REDIS_URL}: {exc}")
    return REDIS_URL


@pytest.fixture(params=["sqlite", "redis"])
def queue_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """QUEUE_URL and a queue name of this test's own (Redis keys are removed after)."""
    name = f"minigrid-test-{uuid.uuid4().hex[:8]}"
    if request.param == "sqlite":
        yield {"QUEUE_URL": f"sqlite:///{tmp_path / 'queue.db'}", "QUEUE_NAME": name}
        return
    url = redis_or_skip()
    yield {"QUEUE_URL": url, "QUEUE_NAME": name}
    import redis

    clean = re.sub("[^a-z0-9]", "", name)
    with redis.Redis.from_url(url) as client:
        client.delete(*(f"huey.{k}.{clean}" for k in ("redis", "schedule", "results")))
