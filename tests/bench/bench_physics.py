"""Physics compute: a month of 15-minute timeframes for 1,000 prosumers, each with a turbine,
PV, a battery and a load (weather, asset output, battery dispatch; no store writes).

Run alone: `.venv/bin/python -m tests.bench.bench_physics`. Prints numbers, asserts no speed.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

PROSUMERS = 1_000
DAYS = 30
SEED = 42
SITE = (52.52, 13.40)
EVENING = tuple(0.25 + 0.5 * (h in (7, 8, 18, 19, 20, 21)) + 0.1 * (9 <= h < 17) for h in range(24))


def households(count: int) -> list[Any]:
    """`count` prosumers with one turbine, one PV array, one load and one battery, varied."""
    from models.domain.physics.battery import Battery, Controls
    from models.domain.physics.household import Household
    from models.domain.physics.loads import Load
    from models.domain.physics.solar import PV
    from models.domain.physics.wind import Turbine

    return [
        Household(
            turbines=(Turbine(1000 + 500 * (i % 7), float(10 + i % 21)),),
            pvs=(PV(2000 + 250 * (i % 25), float(10 + i % 36), float(120 + (i * 7) % 121)),),
            loads=(Load(800 + 37 * (i % 60), EVENING),),
            battery=Battery(5000 + 500 * (i % 20), 3000, 3000, 0.88, 0.5),
            controls=Controls(0.5 + 0.05 * (i % 11), 1.0 - 0.04 * (i % 6)),
        )
        for i in range(count)
    ]


def timed(rows: dict[str, Any], name: str, work: Any) -> Any:
    """Run `work()`, store its seconds under `name`, return its result."""
    began = time.perf_counter()
    result = work()
    rows[name] = time.perf_counter() - began
    return result


def run() -> dict[str, Any]:
    """Time each stage and the whole compute; numbers for `make bench` or a standalone run."""
    rows: dict[str, Any] = {"prosumers": PROSUMERS, "timeframes": DAYS * 96}
    timed(rows, "import_s", _import_physics)
    from models.domain.physics.battery import dispatch
    from models.domain.physics.household import energy
    from models.domain.physics.timeline import Timeline
    from models.domain.physics.weather import synthetic_weather

    houses = households(PROSUMERS)
    began = time.perf_counter()
    tl = Timeline(datetime(2026, 6, 1, tzinfo=UTC), 15, DAYS * 96, "Europe/Berlin")
    weather = timed(rows, "weather_s", lambda: synthetic_weather(tl, *SITE, SEED))
    produced, consumed = timed(rows, "assets_s", lambda: energy(houses, weather, tl, SEED))
    bats, ctls = [h.battery for h in houses], [h.controls for h in houses]
    flows = timed(rows, "dispatch_s", lambda: dispatch(produced, consumed, bats, ctls, 15))
    rows["compute_s"] = time.perf_counter() - began
    rows["prosumer_timeframes_per_s"] = PROSUMERS * tl.count / rows["compute_s"]
    rows["produced_kwh_per_prosumer"] = int(flows.produced.sum()) // 1000 // PROSUMERS
    rows["consumed_kwh_per_prosumer"] = int(flows.consumed.sum()) // 1000 // PROSUMERS
    rows["battery_losses_kwh_total"] = int(flows.losses.sum()) // 1000
    return rows


def _import_physics() -> None:
    """Import the physics modules (pvlib, windpowerlib, pandas underneath) once."""
    import models.domain.physics.household  # noqa: F401


def main() -> None:
    """Print the numbers of one run."""
    print(f"== physics: a month of 15-minute timeframes, {PROSUMERS:,} prosumers", flush=True)
    for name, value in run().items():
        text = f"{value:,.3f}" if isinstance(value, float) else f"{value:,}"
        print(f"  {name:<28} {text}", flush=True)


if __name__ == "__main__":
    main()
