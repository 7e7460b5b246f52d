"""`flask demo [--reset]`: the demo grid (models/services/demo.py), created if absent, brought up
to now if present, rebuilt with --reset; prints where it stands and the command that settles
last month."""

from __future__ import annotations

import time

import click
from flask import Flask
from flask.cli import with_appcontext

from api.context import container
from models.services.errors import DomainError

FLASK = ".venv/bin/flask --app wsgi"


def demo_wallets() -> list[str]:
    """The demo's wallets: anvil's dev accounts from demo_grid.FIRST_ACCOUNT on."""
    from models.bootstrap import dev_wallets
    from models.services.demo import demo_size
    from models.services.demo_grid import FIRST_ACCOUNT

    return dev_wallets(FIRST_ACCOUNT, demo_size())


def report_lines(report: object, seconds: float) -> list[str]:
    """What `flask demo` and `make run` print once the demo is ready."""
    from models.domain.timeframes import format_instant
    from models.services.demo import DemoReport
    from models.services.demo_grid import NAME

    assert isinstance(report, DemoReport)
    done = "created" if report.created else "up to date"
    return [
        f"demo grid {done} in {seconds:.1f}s: {NAME} {report.grid_id}, {report.prosumers} "
        f"prosumers, {report.assets} assets; simulated {report.simulated:,} and closed "
        f"{report.closed:,} timeframes now, closed up to {format_instant(report.until)}",
        f"settle last month: {FLASK} settle --grid {report.grid_id} --month {report.settle_month}",
    ]


@click.command("demo")
@click.option("--reset", is_flag=True, help="Delete the demo grid (all its data) and rebuild it.")
@click.option(
    "--since", default=None, help="First simulated instant (default: start of last month)."
)
@with_appcontext
def demo(reset: bool, since: str | None) -> None:
    """Create the demo grid if absent (else bring it up to now): 40 prosumers, simulated and
    closed from the start of last month."""
    from api.cli import _instant
    from models.services.demo import build_demo, reset_demo

    began = time.monotonic()
    build = reset_demo if reset else build_demo
    first = _instant(since, "--since")
    try:
        report = build(
            container(),
            demo_wallets(),
            since=first,
            say=lambda line: click.echo(line, err=True),
        )
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    for line in report_lines(report, time.monotonic() - began):
        click.echo(line)


def register(app: Flask) -> None:
    app.cli.add_command(demo)
