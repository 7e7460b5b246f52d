"""Corrections of closed timeframes: snapshot versions in a hash chain.

Version 1 of a timeframe is the snapshot written at its close, never changed. A correction
writes version n + 1 from version n and the corrected readings: the same netting
(`net_timeframe`), the other parts of version n as they were (e.g. the plant's dispatch, which
happened), plus `version`, `correction_id` and `previous_hash` (the content hash of version n),
all covered by its own `content_hash`. So each version names the one before it,
and changing any earlier version breaks every hash after it (`verify_chain`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from models.domain.communities import regrouped
from models.domain.hashing import content_hash
from models.domain.netting import Reading, net_timeframe
from models.domain.timeframes import parse_instant

# Fields a read adds to a version that its content hash does not cover.
SHOWN_ONLY = ("versions",)


def version_key(grid_id: str, start_iso: str, version: int) -> str:
    """The store key of version `version` (>= 2) of a timeframe's snapshot."""
    return f"{grid_id}:{start_iso}:v{version:04d}"


def readings_of(snapshot: Mapping[str, Any]) -> dict[str, Reading]:
    """The readings a snapshot was netted from (lines without a reading are left out)."""
    return {
        line["prosumer_id"]: Reading(line["prosumer_id"], line["produced_wh"], line["consumed_wh"])
        for line in snapshot["lines"]
        if not line["missing"]
    }


def changed_lines(snapshot: Mapping[str, Any], corrected: Sequence[Reading]) -> list[Reading]:
    """The corrected readings that differ from the snapshot (a missing line counts as none)."""
    now = readings_of(snapshot)
    return [
        r
        for r in corrected
        if r.prosumer_id not in now
        or (now[r.prosumer_id].produced_wh, now[r.prosumer_id].consumed_wh)
        != (r.produced_wh, r.consumed_wh)
    ]


def next_version(
    previous: Mapping[str, Any], version: int, correction_id: str, corrected: Sequence[Reading]
) -> dict[str, Any]:
    """Version `version` of a timeframe: `previous` with `corrected` readings, hash-linked.

    Prosumers listed in `previous` stay listed; a corrected prosumer not listed is added.
    ValueError when nothing changes, or a prosumer is corrected twice.
    """
    ids = [r.prosumer_id for r in corrected]
    if len(set(ids)) != len(ids):
        raise ValueError("a prosumer is corrected twice in one correction")
    if not changed_lines(previous, corrected):
        raise ValueError(f"the readings equal version {version - 1}: nothing changes")
    readings = {**readings_of(previous), **{r.prosumer_id: r for r in corrected}}
    listed = [line["prosumer_id"] for line in previous["lines"]]
    start = parse_instant(previous["start"])
    doc = net_timeframe(
        previous["grid_id"], start, previous["timeframe_minutes"], listed + ids, readings
    )
    doc = regrouped(previous, doc)  # per-community totals of the corrected lines
    for key, value in previous.items():  # parts others add at close (the plant's dispatch):
        doc.setdefault(key, value)  # kept as they were, the correction re-nets readings only
    doc["_id"] = version_key(previous["grid_id"], previous["start"], version)
    doc["version"] = version
    doc["correction_id"] = correction_id
    doc["previous_hash"] = previous["content_hash"]
    doc["content_hash"] = content_hash(doc)
    return doc


def hashed_body(doc: Mapping[str, Any]) -> dict[str, Any]:
    """What a version's content hash covers: the stored document (version 1 has no `version`)."""
    body = {k: v for k, v in doc.items() if k not in SHOWN_ONLY}
    if "previous_hash" not in body:  # version 1, as written at close
        body.pop("version", None)
    return body


def verify_chain(versions: Sequence[Mapping[str, Any]]) -> list[str]:
    """Problems of a timeframe's versions, oldest first (empty: every hash and link holds)."""
    problems = []
    previous: Mapping[str, Any] | None = None
    for number, doc in enumerate(versions, start=1):
        if content_hash(hashed_body(doc)) != doc["content_hash"]:
            problems.append(f"version {number}: content hash does not match its content")
        if previous is not None:
            if doc.get("previous_hash") != previous["content_hash"]:
                problems.append(f"version {number}: previous_hash is not version {number - 1}'s")
            if doc.get("version") != number:
                problems.append(f"version {number}: recorded as version {doc.get('version')}")
        previous = doc
    return problems


def month_of(start: datetime, timezone: str) -> str:
    """The calendar month (YYYY-MM, in the grid's zone) a timeframe starting at `start` is in."""
    return start.astimezone(ZoneInfo(timezone)).strftime("%Y-%m")
