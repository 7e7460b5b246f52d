"""Worker processes: `flask worker` (the task queue) and `flask ingest-mqtt` (meter readings)."""

from __future__ import annotations

import signal
import threading

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from api.context import container


def redact(url: str) -> str:
    """A URL without its password, for start-up lines."""
    scheme, sep, rest = url.partition("://")
    creds, at, host = rest.rpartition("@")
    if not at:
        return url
    user = creds.partition(":")[0]
    return f"{scheme}{sep}{user}:***@{host}" if user else f"{scheme}{sep}***@{host}"


@click.command("worker")
@click.option("-w", "--workers", default=2, show_default=True, help="Worker threads.")
@click.option(
    "--burst", is_flag=True, help="Run what is queued now and each periodic task once, then exit."
)
@with_appcontext
def worker(workers: int, burst: bool) -> None:
    """Run background tasks (settlement runs, simulations, webhook deliveries, device commands,
    peak evaluation)."""
    tasks = container().task_queue()
    if burst:
        tasks.sweep()
        tasks.tick()
        click.echo(f"worker: ran {tasks.drain()} task(s) from {redact(tasks.url)}")
        return
    click.echo(f"worker: {workers} thread(s) on {redact(tasks.url)} (huey)", err=True)
    tasks.run_worker(workers)


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    return stop


@click.command("ingest-mqtt")
@click.option("--url", default=None, help="Broker (default MQTT_URL).")
@click.option(
    "--client-id",
    default="minigrid-ingest",
    show_default=True,
    help="The persistent session's id: readings published while stopped wait for it.",
)
@click.option("--batch-size", default=2000, show_default=True)
@click.option("--grid", "grid_id", default="+", help="Only this grid's meters (default: all).")
@with_appcontext
def ingest_mqtt(url: str | None, client_id: str, batch_size: int, grid_id: str) -> None:
    """Write meter readings published on minigrid/+/meters/+/readings (QoS 1)."""
    from api import meter_mqtt

    url = url or current_app.config["MQTT_URL"]
    if not url:
        raise click.ClickException("no broker: set MQTT_URL (e.g. mqtt://127.0.0.1:1883) or --url")
    from models.mqtt.inbox import Inbox

    stop = _stop_on_signals()
    if grid_id != "+":
        import uuid

        try:
            grid_id = str(uuid.UUID(grid_id))
        except ValueError:
            raise click.BadParameter("a grid id (UUID)", param_hint="--grid") from None
    topic = meter_mqtt.TOPIC.replace("minigrid/+/", f"minigrid/{grid_id}/")
    try:
        inbox = Inbox(url, client_id, topic).start()
    except (ConnectionError, OSError) as exc:
        raise click.ClickException(f"MQTT broker {redact(url)}: {exc}") from None
    click.echo(f"ingest: subscribed to {topic} on {redact(url)} as {client_id}", err=True)
    stats = meter_mqtt.run(container(), url, client_id, stop, inbox=inbox, batch_size=batch_size)
    click.echo(f"ingest stopped: {stats.line()}", err=True)


def register(app: Flask) -> None:
    app.cli.add_command(worker)
    app.cli.add_command(ingest_mqtt)
