"""Fixtures: a broker (the embedded aedes, and Mosquitto on 127.0.0.1:1883), a grid."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_test_app
from tests.mqtt.helpers import embedded_broker, mosquitto_or_skip
from tests.settlement.world import World, build_grid


@pytest.fixture(params=["embedded", "mosquitto"])
def broker_url(request: pytest.FixtureRequest) -> Iterator[str]:
    if request.param == "mosquitto":
        yield mosquitto_or_skip()
        return
    with embedded_broker() as url:
        yield url


@pytest.fixture
def stores(sqlite_template: Path, tmp_path: Path) -> Iterator[Any]:
    db = tmp_path / "registry.db"
    shutil.copy(sqlite_template, db)
    app = make_test_app(f"sqlite:///{db}", tmp_path)
    yield app.extensions["minigrid"]
    app.extensions["minigrid"].close()


@pytest.fixture
def meters_grid(stores: Any) -> World:
    """A daily grid in UTC with three prosumers."""
    return build_grid(stores, [f"0x{n:040x}" for n in range(1, 4)])
