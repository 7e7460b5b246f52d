"""Headless Debian chromium driven by selenium: one browser, a fresh tab per page visit."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import (
    NoSuchElementException,
    StaleElementReferenceException,
    TimeoutException,
)
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM, CHROMEDRIVER = "chromium", "chromedriver"
WAIT_S = 60  # generous: met in well under a second on an idle machine; a 2-CPU CI runner is not
# a page re-rendering between a find and a read (redrawn counts) is waited out, not a failure
REDRAWN = (NoSuchElementException, StaleElementReferenceException)


def installed() -> tuple[str, str] | None:
    """Paths of Debian's chromium and chromium-driver, or None."""
    browser, driver = shutil.which(CHROMIUM), shutil.which(CHROMEDRIVER)
    return (browser, driver) if browser and driver else None


def launch(env: dict[str, str], width: int = 1280, height: int = 1400) -> WebDriver:
    """Headless chromium (its processes carry `env`, so a failed run leaves none behind)."""
    paths = installed()
    assert paths is not None
    options = webdriver.ChromeOptions()
    options.binary_location = paths[0]
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in CI
        "--disable-dev-shm-usage",
        "--disable-gpu",
        f"--window-size={width},{height}",
        "--force-device-scale-factor=1",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(paths[1], env=env), options=options)


class Tab:
    """One page visit in its own tab (its own sessionStorage), with its console."""

    def __init__(self, driver: WebDriver, base: str) -> None:
        self.driver, self.base = driver, base

    def open(self, path: str, key: str | None) -> Tab:
        """Load /dashboard/`path` and paste `key` into the key field."""
        self.driver.get(f"{self.base}/dashboard/{path}")
        if key is not None:
            self.find("key").send_keys(key)
            self.driver.find_element(By.CSS_SELECTOR, "#key-form button[type=submit]").click()
        return self

    def find(self, element_id: str) -> Any:
        return self.driver.find_element(By.ID, element_id)

    def text(self, element_id: str) -> str:
        return str(self.find(element_id).text)

    def until(self, check: Callable[[WebDriver], Any], timeout_s: float = WAIT_S) -> Any:
        """Wait for `check` to be truthy; on timeout, fail showing the page and its console."""
        wait = WebDriverWait(self.driver, timeout_s, poll_frequency=0.1, ignored_exceptions=REDRAWN)
        try:
            return wait.until(check)
        except TimeoutException:
            raise AssertionError(f"timed out after {timeout_s} s\n{self.state()}") from None

    def state(self) -> str:
        """The page's text and what its console said, for a failure message."""
        log = "\n".join(e["message"] for e in self.driver.get_log("browser"))
        return f"{self.page_text()}\nconsole:\n{log}"

    def until_text(self, element_id: str, words: str, timeout_s: float = WAIT_S) -> str:
        """Wait until the element exists and shows `words`; its text."""

        def shown(driver: WebDriver) -> str | None:
            found = driver.find_elements(By.ID, element_id)
            return found[0].text if found and words in found[0].text else None

        try:
            return str(self.until(shown, timeout_s))
        except Exception:
            log = "\n".join(e["message"] for e in self.driver.get_log("browser"))
            message = f"#{element_id} never showed {words!r}:\n{self.page_text()}\nconsole:\n{log}"
            raise AssertionError(message) from None

    def points(self, figure_id: str) -> int | None:
        """The timeframes a chart shows (its figure's data-points), None before it is drawn."""
        value = self.find(figure_id).get_attribute("data-points")
        return None if value is None else int(value)

    def page_text(self) -> str:
        return str(self.driver.find_element(By.TAG_NAME, "body").text)

    def console_errors(self, expected: tuple[tuple[str, str], ...] = ()) -> list[dict[str, Any]]:
        """SEVERE console entries, except the network answers a test provoked: `expected` are
        (URL part, status) patterns, e.g. ("/settlements/2026-11?", "404")."""
        return [
            e
            for e in self.driver.get_log("browser")
            if e["level"] == "SEVERE" and not any(provoked(e, *p) for p in expected)
        ]


def provoked(entry: dict[str, Any], url_part: str, status: str) -> bool:
    """A network entry for a URL holding `url_part` that answered `status`."""
    message = entry["message"]
    return (
        entry["source"] == "network"
        and url_part in message.split(" - ")[0]
        and f"responded with a status of {status} " in message
    )


@contextmanager
def tab(driver: WebDriver, base: str, scripts: tuple[str, ...] = ()) -> Iterator[Tab]:
    """A fresh tab with `scripts` run before each document's own; closed afterwards."""
    driver.switch_to.new_window("tab")
    ids = [
        driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": s})["identifier"]
        for s in scripts
    ]
    driver.get_log("browser")  # forget what earlier tabs logged
    try:
        yield Tab(driver, base)
    finally:
        for identifier in ids:
            driver.execute_cdp_cmd(
                "Page.removeScriptToEvaluateOnNewDocument", {"identifier": identifier}
            )
        driver.close()
        driver.switch_to.window(driver.window_handles[0])
