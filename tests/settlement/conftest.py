"""Fixtures: a container with a deployed contract; a settled-able world on eth-tester."""

from __future__ import annotations

from typing import Any

import pytest
from eth_account import Account

from models.services.ledger_status import deploy_contract
from tests.settlement.world import World, add_readings, build_grid, close_month


@pytest.fixture
def container(app: Any) -> Any:
    """The app's container with the Settlement contract deployed on its eth-tester chain."""
    container = app.extensions["minigrid"]
    deploy_contract(container)
    return container


@pytest.fixture
def accounts() -> list[Any]:
    """Five fresh prosumer keys (never funded)."""
    return [Account.create() for _ in range(5)]


@pytest.fixture
def world(container: Any, accounts: list[Any]) -> World:
    """A grid whose October is closed, with trades on its first three days."""
    world = build_grid(container, [a.address for a in accounts])
    add_readings(container, world)
    close_month(container, world)
    return world
