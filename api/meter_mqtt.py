"""`flask ingest-mqtt`: meter readings from MQTT through the metering use case, in batches.

Topic `minigrid/{grid_id}/meters/{prosumer_id}/readings`, payload
`{"start": "2026-10-05T10:00:00Z", "produced_wh": 3000, "consumed_wh": 500}`. A batch is
written (one unit of work per grid timeframe), refused messages are answered on
`minigrid/{grid_id}/meters/{prosumer_id}/errors` with the problem the HTTP API would give, and
only then is every message of the batch acknowledged to the broker.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

import marshmallow as ma

from api.errors import TYPE_BASE, flatten_errors
from api.fields import Instant, checked_instant
from api.jsonbody import check_shape
from api.metering.schemas import EnergyWh
from api.smorest import StrictSchema
from models.mqtt.inbox import Inbox, Message
from models.services import meter_ingest
from models.services.crashpoints import crash_point
from models.services.errors import DomainError

TOPIC = "minigrid/+/meters/+/readings"
MAX_PAYLOAD = 4096
log = logging.getLogger("minigrid.ingest")


class MeterPayloadSchema(StrictSchema):
    start = Instant(required=True)
    produced_wh = EnergyWh()
    consumed_wh = EnergyWh()


PAYLOAD = MeterPayloadSchema()


class Refused(Exception):  # noqa: N818
    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__(body["detail"])
        self.body = body


def problem_body(topic: str, status: int, title: str, detail: str, slug: str | None, **extra: Any):
    """The problem+json document the HTTP API would answer, with the topic as `instance`."""
    return {
        "type": TYPE_BASE + slug if slug else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": topic,
        "trace_id": uuid.uuid4().hex,
        **extra,
    }


def errors_topic(topic: str) -> str:
    return topic.removesuffix("/readings") + "/errors"


CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
DECODER = json.JSONDecoder(parse_float=Decimal)  # json.loads(…, parse_float=) builds one per call


def _uuid(text: str) -> str:
    """The canonical text of a UUID (as it is when it already is); ValueError if none."""
    return text if CANONICAL_UUID.fullmatch(text) else str(uuid.UUID(text))


FIELDS = frozenset(("start", "produced_wh", "consumed_wh"))


@lru_cache(maxsize=4096)
def _instant(text: str) -> datetime:
    """A valid start (meters of one timeframe send the same text: parsed once)."""
    return checked_instant(text)


@lru_cache(maxsize=65536)
def _ids(grid_id: str, prosumer_id: str) -> tuple[str, str]:
    return _uuid(grid_id), _uuid(prosumer_id)


def parse(message: Message) -> meter_ingest.MeterReading:
    """The reading a message carries; Refused with the HTTP API's problem otherwise."""
    _, grid_id, _, prosumer_id, _ = message.topic.split("/")
    try:
        grid_id, prosumer_id = _ids(grid_id, prosumer_id)
    except ValueError:
        detail = f"no meter at {message.topic}: grid and prosumer must be UUIDs"
        raise Refused(problem_body(message.topic, 404, "Not Found", detail, None)) from None
    reading = _plain(message, grid_id, prosumer_id)
    return reading or _checked(message, grid_id, prosumer_id)


def _plain(message: Message, grid_id: str, prosumer_id: str) -> meter_ingest.MeterReading | None:
    """The reading of a well-formed payload without the schema (the common case), else None:
    exactly the three fields, integer energies and a valid start, so the schema would accept it
    as it is. (No shape check: a payload too deep for it fails here, at most MAX_PAYLOAD bytes
    of parsing, and `_checked` names the problem.)"""
    if len(message.payload) > MAX_PAYLOAD:
        return None
    try:
        data = DECODER.decode(message.payload.decode())
        produced, consumed = data["produced_wh"], data["consumed_wh"]
        if data.keys() != FIELDS or type(produced) is not int or type(consumed) is not int:
            return None
        start = _instant(data["start"])
    except Exception:  # anything unusual: the schema says what is wrong
        return None
    return meter_ingest.MeterReading(message, grid_id, prosumer_id, start, produced, consumed)


def _checked(message: Message, grid_id: str, prosumer_id: str) -> meter_ingest.MeterReading:
    """The schema's reading of an unusual payload, or its problem, as the HTTP API gives it."""
    try:
        if len(message.payload) > MAX_PAYLOAD:
            raise ValueError(f"the payload is larger than {MAX_PAYLOAD} bytes")
        check_shape(message.payload)
        data = PAYLOAD.load(json.loads(message.payload, parse_float=Decimal))
    except ma.ValidationError as exc:
        errors = flatten_errors(exc.messages)
        detail = "; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items())
        body = problem_body(message.topic, 400, "Validation failed", detail, "validation")
        raise Refused({**body, "errors": errors}) from None
    except Exception as exc:  # not JSON, not an object, too deep: the body is unreadable
        detail = f"the payload is not a JSON reading: {getattr(exc, 'description', exc)}"
        body = problem_body(message.topic, 400, "Validation failed", detail, "validation")
        raise Refused({**body, "errors": {"_schema": [detail]}}) from None
    return meter_ingest.MeterReading(
        message, grid_id, prosumer_id, data["start"], data["produced_wh"], data["consumed_wh"]
    )


def domain_problem(topic: str, error: DomainError) -> dict[str, Any]:
    return problem_body(topic, error.status, error.title, error.detail, error.slug, **error.extra)


@dataclass
class Stats:
    """What the consumer did since it started."""

    received: int = 0
    acked: int = 0
    batches: int = 0
    writing_s: float = 0.0  # in the store, answering problems and acknowledging
    counts: Counter[str] = field(default_factory=Counter)  # inserted, updated, unchanged
    refused: Counter[int] = field(default_factory=Counter)  # by HTTP status

    def line(self) -> str:
        refused = ", ".join(f"{n} x {s}" for s, n in sorted(self.refused.items())) or "none"
        return (
            f"received {self.received}, acknowledged {self.acked}, inserted "
            f"{self.counts['inserted']}, updated {self.counts['updated']}, unchanged "
            f"{self.counts['unchanged']}, refused {refused}; {self.batches} batches, "
            f"{self.writing_s:.2f} s writing"
        )


def handle(container: Any, batch: list[Message]) -> tuple[list[tuple[str, dict[str, Any]]], Any]:
    """Write a batch; the problems to answer (topic, body) and the use case's outcome."""
    replies, readings = [], []
    for message in batch:
        try:
            readings.append(parse(message))
        except Refused as exc:
            replies.append((errors_topic(message.topic), exc.body))
    outcome = meter_ingest.ingest(container, readings)
    for message, error in outcome.refused.items():
        assert isinstance(message, Message)
        replies.append((errors_topic(message.topic), domain_problem(message.topic, error)))
    return replies, outcome


def consume(
    container: Any,
    inbox: Inbox,
    stop: threading.Event,
    batch_size: int = 2000,
    wait_s: float = 0.05,
    on_batch: Callable[[Stats], None] | None = None,
) -> Stats:
    """Take batches until `stop` is set: write, answer problems, then acknowledge."""
    stats = Stats()
    while not stop.is_set():
        batch = inbox.batch(batch_size, wait_s)
        if not batch:
            continue
        stats.received += len(batch)
        began = time.perf_counter()
        replies, outcome = _until_written(container, batch, stop)
        if replies is None:
            break  # stopping with the batch unwritten: the broker delivers it again
        crash_point("ingest_written")  # tests: SIGKILLed after the write, before the acks
        infos = [inbox.reply(topic, json.dumps(body).encode()) for topic, body in replies]
        for info in infos:
            info.wait_for_publish(10.0)
        stats.acked += inbox.ack(batch)
        stats.batches += 1
        stats.writing_s += time.perf_counter() - began
        stats.counts.update(outcome.counts)
        for topic, body in replies:
            stats.refused[body["status"]] += 1
            log.info("refused %s: %s %s", topic, body["status"], body["detail"])
        if on_batch is not None:
            on_batch(stats)
    return stats


def _until_written(container: Any, batch: list[Message], stop: threading.Event) -> Any:
    """handle(batch), again after a store outage (the messages wait unacknowledged)."""
    delay = 0.5
    while not stop.is_set():
        try:
            return handle(container, batch)
        except Exception:  # the store is down: never drop the batch, never stop consuming
            log.exception("a batch of %d readings was not written; retrying", len(batch))
            stop.wait(delay)
            delay = min(delay * 2, 10.0)
    return None, None


def run(
    container: Any,
    url: str,
    client_id: str,
    stop: threading.Event,
    inbox: Inbox | None = None,
    on_batch: Callable[[Stats], None] | None = None,
    **options: Any,
) -> Stats:
    """Connect (unless given a started `inbox`), consume until `stop`, disconnect."""
    inbox = inbox or Inbox(url, client_id, TOPIC).start()
    last = [time.monotonic()]

    def report(stats: Stats) -> None:
        if on_batch is not None:
            on_batch(stats)
        if time.monotonic() - last[0] >= 10:
            log.info("ingest: %s", stats.line())
            last[0] = time.monotonic()

    try:
        return consume(container, inbox, stop, on_batch=report, **options)
    finally:
        inbox.stop()
