"""Device commands out: every `device.command` event published to its device's MQTT topic.

`minigrid/{grid_id}/devices/{prosumer_id}/commands`, retained, QoS 1, payload
`{"command_id", "grid_id", "prosumer_id", "asset_id", "action", "issued_at", ...}` (the event's
data). The events come from the event log (after relaying the document outbox), oldest first;
the publisher's cursor (the last published position) is a document moved forward only after the
broker acknowledged every message up to it, so each command is published at least once (again
after a crash between the PUBACK and the cursor write: same payload, same retained state). One
process publishes at a time (a lease on that document, compare-and-set), so a device's retained
message is always its newest command. Runs as the periodic task `mqtt.device_commands`.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from models.domain import events as ev
from models.domain.timeframes import format_instant
from models.ports import Collection, Doc, MessageBus, Stores
from models.services.clock import aware_utc, utcnow
from models.services.events import Scope, relay_outbox
from models.services.settlement.lease import busy, new_holder
from models.services.tasks import task

log = logging.getLogger("minigrid.commands")
PUBLISHERS, KEY = "publishers", "device-commands"
COMMANDS_TASK, EVERY_S = "mqtt.device_commands", 1.0
PAGE = 500
LEASE = timedelta(seconds=60)


def commands_topic(grid_id: str, prosumer_id: str) -> str:
    return f"minigrid/{grid_id}/devices/{prosumer_id}/commands"


def command_message(event: Doc) -> tuple[str, Doc] | None:
    """(topic, payload) of a device.command event; None if it names no prosumer."""
    data = event["data"]
    grid_id = event.get("grid_id") or data.get("grid_id")
    prosumer_id = event.get("prosumer_id") or data.get("prosumer_id")
    if not grid_id or not prosumer_id:
        return None
    payload = {
        "issued_at": event["occurred_at"],
        **data,  # the command as the deciding feature recorded it (its own issued_at wins)
        "command_id": event["id"],
        "grid_id": grid_id,
        "prosumer_id": prosumer_id,
    }
    return commands_topic(grid_id, prosumer_id), payload


@task(COMMANDS_TASK, every_s=EVERY_S)
def publish_device_commands(container: Stores) -> int:
    """Publish the device commands after the cursor; how many were published (0 without a
    broker or while another process holds the lease)."""
    bus = container.bus
    if bus is None:
        return 0
    relay_outbox(container)
    state = container.documents.collection(PUBLISHERS)
    holder = new_holder()
    cursor = _claim(state, holder)
    if cursor is None:
        return 0
    published = 0
    try:
        while True:
            with container.uow(write=False) as uow:
                page = uow.events.page(cursor, Scope(), [ev.DEVICE_COMMAND], PAGE)
            if not page:
                return published
            published += _publish(bus, [e for _, e in page])
            cursor = page[-1][0]
            moved = {"cursor": cursor, "lease_until": _until()}
            if not state.update(KEY, moved, {"owner": holder}):
                log.warning("device commands: lease lost after position %d; stopping", cursor)
                return published
    finally:
        state.update(KEY, {"owner": None, "lease_until": None}, {"owner": holder})


def _publish(bus: MessageBus, events: list[Doc]) -> int:
    """Publish each command, waiting for the broker (ConnectionError leaves the cursor)."""
    count = 0
    for event in events:
        message = command_message(event)
        if message is None:
            log.warning("device command %s names no prosumer; not published", event["id"])
            continue
        bus.publish(*message, retain=True)
        count += 1
    return count


def _until() -> str:
    return format_instant(aware_utc(utcnow() + LEASE))


def _claim(state: Collection, holder: str) -> int | None:
    """Take the publisher's lease (free when released, expired, or held by a dead process of
    this host); its cursor, or None while another live process holds it."""
    doc: dict[str, Any] = state.insert_if_absent(
        KEY, {"cursor": 0, "owner": None, "lease_until": None}
    )
    if busy(doc):
        return None
    expect = {"owner": doc.get("owner"), "lease_until": doc.get("lease_until")}
    if not state.update(KEY, {"owner": holder, "lease_until": _until()}, expect):
        return None
    taken = state.get(KEY)  # the cursor as the last holder left it
    return int(taken["cursor"]) if taken is not None else None
