"""The live server and the browser the dashboard tests share (one of each per session)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.api.test_devserver import plain_env, require_anvil
from tests.dashboard import browser as chrome
from tests.dashboard.live import Live, seed, start_server
from tests.procs import reaped_env


@pytest.fixture(scope="session")
def live_env() -> Iterator[dict[str, str]]:
    with reaped_env(plain_env()) as env:  # no devserver, anvil or chromium outlives the session
        yield env


@pytest.fixture(scope="session")
def browser(live_env: dict[str, str]) -> Iterator[WebDriver]:
    """Headless chromium; skipped without it, except under CI (`make chromium` installs it)."""
    if chrome.installed() is None:
        message = "chromium and chromedriver are not installed: `make chromium`"
        pytest.fail(message) if os.environ.get("CI") else pytest.skip(message)
    driver = chrome.launch(live_env)
    yield driver
    driver.quit()


@pytest.fixture(scope="session")
def live(
    browser: WebDriver, live_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Live]:
    """The devserver with a seeded grid: a month of 3-hour timeframes, closed and settled."""
    require_anvil()
    tmp = tmp_path_factory.mktemp("dashboard")
    proc, server = start_server(tmp / "var", tmp / "devserver.log", live_env)
    try:
        seed(server)
        yield server
    finally:
        proc.kill()  # nothing to keep: live_env reaps its gunicorn and anvil
        proc.wait()
