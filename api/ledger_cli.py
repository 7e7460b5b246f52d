"""Operator commands for the chain: `flask settle`, `flask ledger deploy|status`."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask.cli import AppGroup, with_appcontext

from api.context import container
from models.ports import LedgerError
from models.services.errors import DomainError
from models.services.settlement.adjusting import next_adjustments_period
from models.services.settlement.ledger_status import deploy_contract, ledger_status
from models.services.settlement.settle import DEFAULT_BATCH, MAX_BATCH, Summary, settle_month

ledger_cli = AppGroup("ledger", help="The Settlement contract on the configured chain.")


def summary_table(summary: Summary) -> str:
    """The run's summary as aligned `name  value` lines."""
    s = summary
    rows = [
        ("grid", s.grid_id),
        ("month", s.month),
        ("status", s.status),
        ("prosumers", s.prosumers),
        ("credits", f"{s.credits} items, {s.credits_minor} minor units, {s.credits_wei} wei"),
        ("deferred", f"{s.deferred} credits, {s.deferred_minor} minor units (owed on chain)"),
        ("debits", f"{s.debits} items, {s.debits_minor} minor units (due, paid by prosumers)"),
        ("zero", s.zero),
        ("gas used", s.gas_used),
        ("transactions", f"{s.transactions} recorded, {s.sent_now} sent by this run"),
        ("root", s.root),
        ("contract", s.contract or "-"),
        ("chain id", s.chain_id or "-"),
    ]
    return "\n".join(f"{name:<13}{value}" for name, value in rows)


@click.command("settle")
@click.option("--grid", "grid_id", required=True, help="Grid id.")
@click.option("--month", help="Calendar month YYYY-MM in the grid's zone.")
@click.option("--dry-run", is_flag=True, help="Compute and print; write and send nothing.")
@click.option(
    "--batch-size", default=DEFAULT_BATCH, type=click.IntRange(1, MAX_BATCH), show_default=True
)
@click.option(
    "--adjustments-only",
    is_flag=True,
    help="Settle only the waiting adjustments of settled months, as period YYYY-MM.N "
    "(--month: that month, default the current one); an unfinished one is resumed.",
)
@with_appcontext
def settle(
    grid_id: str, month: str | None, dry_run: bool, batch_size: int, adjustments_only: bool
) -> None:
    """Settle a grid's month on chain: post the root, pay the credits. Idempotent, resumable."""
    from tqdm import tqdm

    if adjustments_only:
        month = _adjustments_period(grid_id, month)
        if month is None:
            click.echo("no adjustments are waiting to be settled")
            return
    elif month is None:
        raise click.UsageError("give --month YYYY-MM (or --adjustments-only)")

    bar = tqdm(desc="credits", unit="item", disable=dry_run, file=sys.stderr)

    def progress(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    try:
        summary = settle_month(
            container(), grid_id, month, dry_run=dry_run, progress=progress, batch_size=batch_size
        )
    except DomainError as exc:
        raise click.ClickException(exc.detail + _close_hint(exc, grid_id, month)) from None
    except LedgerError as exc:
        raise click.ClickException(f"chain: {exc}") from None
    finally:
        bar.close()
    click.echo(summary_table(summary))


def _adjustments_period(grid_id: str, month: str | None) -> str | None:
    """The adjustments-only period to settle (a ClickException for a bad grid or month)."""
    try:
        return next_adjustments_period(container(), grid_id, month)
    except DomainError as exc:
        raise click.ClickException(exc.detail) from None
    except ValueError as exc:
        raise click.ClickException(f"--month: {exc}") from None


def _close_hint(exc: DomainError, grid_id: str, month: str) -> str:
    """How to close a month's open timeframes, when that is what stopped the run."""
    if "open_count" not in exc.extra:
        return ""
    return f"; close them with: flask --app wsgi close-timeframes --grid {grid_id} --month {month}"


@ledger_cli.command("deploy")
def deploy() -> None:
    """Deploy Settlement.vy with the operator key and record its address."""
    try:
        address = deploy_contract(container())
    except LedgerError as exc:
        raise click.ClickException(f"chain: {exc}") from None
    click.echo(address)


@ledger_cli.command("status")
def status() -> None:
    """Print chain id, operator, recorded contract and whether its code exists."""
    try:
        info = ledger_status(container())
    except LedgerError as exc:
        raise click.ClickException(f"chain: {exc}") from None
    for name, value in info.items():
        click.echo(f"{name:<22}{value}")


def register(app: Any) -> None:
    """Add the commands to the app's CLI."""
    app.cli.add_command(settle)
    app.cli.add_command(ledger_cli)
