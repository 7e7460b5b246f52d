"""`make screenshots`: the README's pictures of the overview and the prosumer page.

A devserver in a temp dir is seeded with a month of hourly timeframes (simulated, closed and
settled on anvil), then headless chromium saves each page, full height, as docs/dashboard/*.png.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from tests.dashboard.browser import Tab, launch, tab
from tests.dashboard.live import MONTH, Live, seeded

OUT = Path(__file__).resolve().parents[2] / "docs" / "dashboard"
WIDTH = 1280


def save(page: Tab, name: str) -> Path:
    """The whole page, as tall as its content."""
    height = page.driver.execute_script("return document.documentElement.scrollHeight")
    page.driver.set_window_size(WIDTH, height + 100)
    path = OUT / f"{name}.png"
    page.driver.save_screenshot(str(path))
    return path


def overview(page: Tab, live: Live) -> Path:
    page.open("?range=month&date=2026-10-15", live.admin)
    page.until(lambda d: page.find("main").get_attribute("data-render-ms"))
    page.until_text("live", "following the event feed")
    return save(page, "overview")


def prosumer(page: Tab, live: Live) -> Path:
    who = live.prosumers["House 1"]["id"]
    page.open(f"prosumer.html?prosumer={who}&month={MONTH}&rpc={live.rpc}", live.keys["House 1"])
    page.until_text("statement", "Verify against the chain")
    page.find("verify").click()
    page.until_text("verdict", "verified")
    return save(page, "prosumer")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with (
        tempfile.TemporaryDirectory(prefix="minigrid-shots-") as name,
        seeded(Path(name), 60) as (
            live,
            env,
        ),
    ):
        driver = launch(env, WIDTH, 900)
        try:
            for shoot in (overview, prosumer):
                with tab(driver, live.base) as page:
                    print(f"wrote {shoot(page, live)}")
        finally:
            driver.quit()


if __name__ == "__main__":
    main()
