"""`flask simulate`: simulate a grid's timeframes and write them through the metering path."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import Flask
from flask.cli import with_appcontext

from api.context import container
from models.services.errors import DomainError


@click.command("simulate")
@click.option("--grid", "grid_id", required=True, help="The grid to simulate.")
@click.option("--from", "since", required=True, help="ISO 8601 instant on a timeframe boundary.")
@click.option("--to", "until", required=True, help="ISO 8601 instant on a timeframe boundary.")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(min=0))
@click.option("--close", is_flag=True, help="Close the simulated timeframes that have ended.")
@click.option(
    "--via",
    type=click.Choice(["store", "mqtt"]),
    default="store",
    show_default=True,
    help="mqtt: the meters publish to MQTT_URL and `flask ingest-mqtt` writes the readings.",
)
@with_appcontext
def simulate(grid_id: str, since: str, until: str, seed: int, close: bool, via: str) -> None:
    """Simulate [FROM, TO): readings through metering (or MQTT), flows stored; prints a summary."""
    from api.cli import _instant
    from models.services.simulation import simulate_grid

    start, end = _instant(since, "--from"), _instant(until, "--to")
    assert start is not None and end is not None
    bus = container().bus if via == "mqtt" else None
    if via == "mqtt" and bus is None:
        raise click.ClickException("--via mqtt needs a broker: set MQTT_URL (make run prints it)")
    with click.progressbar(length=1, label="simulating", file=sys.stderr) as bar:

        def progress(done: int, total: int) -> None:
            bar.length = total
            bar.update(done - bar.pos)

        try:
            summary = simulate_grid(
                container(), grid_id, start, end, seed=seed, close=close, progress=progress, via=bus
            )
        except DomainError as exc:
            raise click.ClickException(exc.detail) from None
        except ConnectionError as exc:
            raise click.ClickException(f"MQTT broker: {exc}") from None
    click.echo(summary_table(summary))


def summary_table(summary: dict[str, Any]) -> str:
    """The run's summary as aligned `name  value` lines."""
    rows = [
        ("grid", summary["grid_id"]),
        ("from", summary["from"]),
        ("to", summary["to"]),
        ("seed", summary["seed"]),
        ("timeframes", summary["timeframes"]),
        ("prosumers", summary["prosumers"]),
        *((f"readings {k}", v) for k, v in summary["readings"].items()),
        *((k, v) for k, v in summary["energy"].items()),
        *((f"weather {k}", v) for k, v in summary["weather"].items()),
        ("closed timeframes", summary["closed_timeframes"]),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(
        f"{name:<{width}}  {value:>,}" if isinstance(value, int) else f"{name:<{width}}  {value}"
        for name, value in rows
    )


def register(app: Flask) -> None:
    app.cli.add_command(simulate)
