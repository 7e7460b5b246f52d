"""Operator commands: `flask db upgrade`, `flask keys create`, and the grid's batch jobs."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from models.services import keys as key_service
from models.services.errors import DomainError

db_cli = AppGroup("db", help="The relational schema (alembic).")
keys_cli = AppGroup("keys", help="API keys.")


def container() -> Any:
    return current_app.extensions["minigrid"]


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
@click.option("--until", default=None, help="ISO 8601 instant (default: now).")
def close_timeframes(grid_id: str | None, until: str | None) -> None:
    """Close every due timeframe, oldest first; safe to re-run after a crash."""
    from models.domain.timeframes import format_instant, parse_instant
    from models.services.closing import close_due

    try:
        limit = parse_instant(until) if until else datetime.now(UTC)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--until") from None
    with container().uow(write=False) as uow:
        grids = [grid_id] if grid_id else [g.id for g in uow.registry.grids(1, 10**6)[0]]
    for gid in grids:
        try:
            closed = close_due(container(), gid, limit)
        except DomainError as exc:
            raise click.ClickException(f"grid {gid}: {exc.detail}") from None
        last = format_instant(closed[-1].replace(tzinfo=UTC)) if closed else "-"
        click.echo(f"grid {gid}: closed {len(closed)} timeframe(s), last {last}")


def register(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(keys_cli)
    from api import ledger_cli

    ledger_cli.register(app)
    app.cli.add_command(close_timeframes)
