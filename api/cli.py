"""Operator commands: `flask db upgrade`, `flask keys create`, and the grid's batch jobs."""

from __future__ import annotations

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


def register(app: Flask) -> None:
    app.cli.add_command(db_cli)
    app.cli.add_command(keys_cli)
