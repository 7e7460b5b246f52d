"""Domain events: their types, their shape, feed cursors and the webhook retry schedule.

An event is a plain dict: `id` (unique; deterministic where the change it reports may be written
again after a crash, so the outbox relay and the feed never show it twice), `type`, `grid_id`,
`prosumer_id` (the prosumer it is about, or None for a grid or community aggregate),
`community_id` (the community whose aggregate it reports, or None), `occurred_at` (ISO instant)
and `data` (JSON types; energy Wh and money minor units as integers).
"""

from __future__ import annotations

import base64
import binascii
import random
from typing import Any, Final

TIMEFRAME_CLOSED: Final = "timeframe.closed"
SETTLEMENT_POSTED: Final = "settlement.posted"
CREDIT_PAID: Final = "settlement.credit_paid"
CREDIT_DEFERRED: Final = "settlement.credit_deferred"
DEBIT_PAID: Final = "settlement.debit_paid"
SETTLEMENT_FAILED: Final = "settlement.failed"
READING_CORRECTED: Final = "reading.corrected"
PEAK_STARTED: Final = "community.peak_started"
PEAK_ENDED: Final = "community.peak_ended"
AUTARKY_GAINED: Final = "community.autarky_gained"
AUTARKY_LOST: Final = "community.autarky_lost"
DEVICE_COMMAND: Final = "device.command"

TYPES: Final = (
    TIMEFRAME_CLOSED,
    READING_CORRECTED,
    PEAK_STARTED,
    PEAK_ENDED,
    AUTARKY_GAINED,
    AUTARKY_LOST,
    DEVICE_COMMAND,
    SETTLEMENT_POSTED,
    CREDIT_PAID,
    CREDIT_DEFERRED,
    DEBIT_PAID,
    SETTLEMENT_FAILED,
)

MAX_ID = 200


def event(
    event_id: str,
    type_: str,
    grid_id: str,
    occurred_at: str,
    data: dict[str, Any],
    *,
    prosumer_id: str | None = None,
    community_id: str | None = None,
) -> dict[str, Any]:
    """A domain event (ValueError for an unknown type or an over-long id)."""
    if type_ not in TYPES:
        raise ValueError(f"unknown event type {type_!r}")
    if not 0 < len(event_id) <= MAX_ID:
        raise ValueError(f"an event id has 1..{MAX_ID} characters, got {len(event_id)}")
    return {
        "id": event_id,
        "type": type_,
        "grid_id": grid_id,
        "prosumer_id": prosumer_id,
        "community_id": community_id,
        "occurred_at": occurred_at,
        "data": data,
    }


def webhook_payload(evt: dict[str, Any]) -> dict[str, Any]:
    """The Standard Webhooks body of an event: {type, timestamp, data} (data names the subject)."""
    data = {
        "event_id": evt["id"],
        "grid_id": evt["grid_id"],
        "prosumer_id": evt["prosumer_id"],
        "community_id": evt["community_id"],
        **evt["data"],
    }
    return {"type": evt["type"], "timestamp": evt["occurred_at"], "data": data}


def matches(event_types: list[str], type_: str) -> bool:
    """Whether a subscription to `event_types` (empty: every type) wants this type."""
    return not event_types or type_ in event_types


# --- cursors: opaque to clients, a feed position inside ------------------------------------
_CURSOR_PREFIX = "ev1:"


def encode_cursor(position: int) -> str:
    """The opaque cursor of a feed position."""
    raw = f"{_CURSOR_PREFIX}{position}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    """The feed position of a cursor (ValueError if it is not one of ours)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValueError("not a cursor this feed issued") from exc
    number = raw.removeprefix(_CURSOR_PREFIX)
    if raw == number or not number.isdigit() or len(number) > 18:
        raise ValueError("not a cursor this feed issued")
    return int(number)


# --- webhook retries: exponential backoff with full jitter, for up to a day -----------------
BASE_DELAY_S: Final = 5.0
MAX_DELAY_S: Final = 3600.0
GIVE_UP_S: Final = 24 * 3600.0


def retry_delay_s(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try after `attempts` failed ones: uniform in [cap/2, cap],
    cap = min(BASE * 2**(attempts-1), MAX) (exponential backoff, jittered)."""
    cap: float = min(BASE_DELAY_S * float(2 ** min(max(attempts - 1, 0), 40)), MAX_DELAY_S)
    draw = rng.random() if rng is not None else random.random()
    return cap / 2 + draw * cap / 2


def gives_up(age_s: float, next_delay_s: float, limit_s: float = GIVE_UP_S) -> bool:
    """Whether a delivery this old should stop retrying rather than wait `next_delay_s` more."""
    return age_s + next_delay_s > limit_s
