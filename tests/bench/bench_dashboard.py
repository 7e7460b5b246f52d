"""The dashboard's overview of a month of 15-minute data (2,976 points per series) in headless
chromium: how long the charts take once the data has arrived, measured by the page itself
(performance.now(), `data-render-ms` on <main>), and how long the data took to arrive."""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path
from typing import Any

from tests.dashboard.browser import installed, launch, tab
from tests.dashboard.live import seeded

ROUNDS = 5
POINTS = 31 * 96


def run() -> dict[str, Any] | None:
    """Seed a month of 15-minute timeframes on a devserver, load the overview ROUNDS times."""
    if installed() is None:
        print("  chromium not installed (make chromium): skipped", flush=True)
        return None
    with (
        tempfile.TemporaryDirectory(prefix="minigrid-dash-") as name,
        seeded(Path(name), 15) as (
            live,
            env,
        ),
    ):
        driver = launch(env)
        try:
            render, data = [], []
            for _ in range(ROUNDS):
                with tab(driver, live.base) as page:
                    page.open("?range=month&date=2026-10-15", live.admin)
                    main = page.until(
                        lambda d: (
                            d.find_element("id", "main").get_attribute("data-render-ms")
                            and d.find_element("id", "main")
                        )
                    )
                    assert page.points("energy-chart") == POINTS, page.points("energy-chart")
                    render.append(float(main.get_attribute("data-render-ms")))
                    data.append(float(main.get_attribute("data-data-ms")))
        finally:
            driver.quit()
    return {
        "points_per_series": POINTS,
        "drawn_after_data_ms": statistics.median(render),  # median of the rounds
        "drawn_after_data_max_ms": max(render),
        "data_arrived_ms": statistics.median(data),  # from asking the API
        "rounds": ROUNDS,
    }


if __name__ == "__main__":
    print(run())
