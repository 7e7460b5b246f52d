"""Operator commands: `flask db upgrade`, `flask keys create`, and the grid's batch jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from api.context import container
from models.services import keys as key_service
from models.services.errors import DomainError

db_cli = AppGroup("db", help="The relational schema (alembic).")
keys_cli = AppGroup("keys", help="API keys.")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default head)."""
    from migrations.runner import upgrade

    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Revert migrations down to REVISION (e.g. base)."""
    from migrations.runner import downgrade

    downgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@keys_cli.command("create")
@click.option("--role", type=click.Choice(key_service.ROLES), required=True)
@click.option("--grid", "grid_id", help="Grid of an operator key.")
@click.option("--prosumer", "prosumer_id", help="Prosumer of a prosumer or meter key.")
@click.option("--partner", "partner_id", help="Partner of a partner key.")
@click.option("--name", default=None)
def keys_create(
    role: str,
    grid_id: str | None,
    prosumer_id: str | None,
    partner_id: str | None,
    name: str | None,
) -> None:
    """Create an API key and print its secret (shown once)."""
    data = {
        "role": role,
        "grid_id": grid_id,
        "prosumer_id": prosumer_id,
        "partner_id": partner_id,
        "name": name,
    }
    try:
        with container().uow() as uow:
            key, secret = key_service.create_key(uow, data)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    click.echo(f"created {role} key {key.id} (prefix {key.prefix})", err=True)
    click.echo(secret)


@click.command("close-timeframes")
@click.option("--grid", "grid_id", default=None, help="One grid (default: every grid).")
@click.option("--from", "since", default=None, help="ISO 8601 instant (default: first reading).")
@click.option("--until", default=None, help="ISO 8601 instant (default: now).")
@click.option("--month", default=None, help="YYYY-MM: the whole month in each grid's zone.")
@with_appcontext
def close_timeframes(
    grid_id: str | None, since: str | None, until: str | None, month: str | None
) -> None:
    """Close every due timeframe, oldest first; safe to re-run after a crash."""
    from models.domain.timeframes import format_instant
    from models.services.closing import close_due
    from models.services.registry import get_grid, list_grids

    if month and (since or until):
        raise click.UsageError("--month cannot be combined with --from or --until")
    bounds = (_instant(since, "--from"), _instant(until, "--until") or datetime.now(UTC))
    try:
        with container().uow(write=False) as uow:
            grids = [get_grid(uow, grid_id)] if grid_id else list_grids(uow, 1, 10**6, None)[0]
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    for grid in grids:
        start, end = _month(month, grid) if month else bounds
        try:
            closed = close_due(container(), grid.id, end, since=start)
        except DomainError as exc:
            raise click.ClickException(f"grid {grid.id}: {exc.detail}") from None
        last = format_instant(closed[-1].replace(tzinfo=UTC)) if closed else "-"
        click.echo(f"grid {grid.id}: closed {len(closed)} timeframe(s), last {last}")


def _instant(text: str | None, hint: str) -> datetime | None:
    """Parse an ISO 8601 option value, or None when it was not given."""
    from models.domain.timeframes import parse_instant

    try:
        return parse_instant(text) if text else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=hint) from None


def _month(month: str, grid: Any) -> tuple[datetime, datetime]:
    """From the month's start in the grid's zone to the end of its last timeframe."""
    from models.domain.timeframes import ceil_timeframe, month_bounds

    try:
        start, end = month_bounds(month, grid.timezone)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--month") from None
    return start, ceil_timeframe(end, grid.timeframe_minutes)


@click.command("deliver-webhooks")
@click.option("--loop", "interval", type=float, default=None, help="Repeat every N seconds.")
@with_appcontext
def deliver_webhooks(interval: float | None) -> None:
    """Relay the outbox, fan events out to webhooks and send what is due (one pass)."""
    import time

    from models.services.webhooks import deliver_webhooks as one_pass

    while True:
        report = one_pass(container())
        click.echo(
            f"relayed {report.relayed}, new deliveries {report.fanned_out}, sent {report.sent}: "
            f"{report.succeeded} succeeded, {report.retrying} to retry, {report.failed} failed"
        )
        if interval is None:
            return
        time.sleep(interval)


def register(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(keys_cli)
    from api import ledger_cli

    ledger_cli.register(app)
    from api import worker_cli

    worker_cli.register(app)
    app.cli.add_command(close_timeframes)
    from api import simulation_cli

    simulation_cli.register(app)
    from api import demo_cli

    demo_cli.register(app)
    app.cli.add_command(deliver_webhooks)
