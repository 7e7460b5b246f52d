"""Communities of a grid: registering them, their members, and who may see them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from models.domain import events as ev
from models.domain.communities import Settings
from models.domain.timeframes import format_instant
from models.ports import CommunityRecord, PeakRecord, ProsumerRecord, UnitOfWork
from models.services.clock import aware_utc, naive_utc, utcnow
from models.services.errors import Conflict, NotFound, found
from models.services.peaks import command_view
from models.services.registry import apply_changes, get_grid

DEFAULT_HYSTERESIS = Decimal("0.1")


def list_communities(
    uow: UnitOfWork, grid_id: str, page: int, size: int
) -> tuple[Sequence[CommunityRecord], int]:
    """One page of a grid's communities, oldest first, and how many there are; 404 for no grid."""
    get_grid(uow, grid_id)
    return uow.communities.listing(grid_id, page, size)


def create_community(uow: UnitOfWork, grid_id: str, data: dict[str, Any]) -> CommunityRecord:
    """Register a community of an existing grid."""
    get_grid(uow, grid_id)
    now = utcnow()
    community = uow.communities.add(
        id=str(uuid.uuid4()),
        grid_id=grid_id,
        name=data["name"],
        peak_threshold_w=data["peak_threshold_w"],
        peak_hysteresis=data.get("peak_hysteresis", DEFAULT_HYSTERESIS),
        autarkic=False,
        created_at=now,
        updated_at=now,
    )
    uow.commit()
    return community


def get_community(uow: UnitOfWork, community_id: str) -> CommunityRecord:
    return found(uow.communities.get(community_id), "community", community_id)


def update_community(
    uow: UnitOfWork, community: CommunityRecord, changes: dict[str, Any]
) -> CommunityRecord:
    """Change the name or the peak rule (it applies from the next evaluation)."""
    uow.registry.lock_grid(community.grid_id)  # serializes with peak evaluation
    apply_changes(community, changes)
    uow.commit()
    return community


def delete_community(uow: UnitOfWork, community: CommunityRecord) -> None:
    """Delete a community without members (and its peaks); 409 while it has members."""
    uow.registry.lock_grid(community.grid_id)
    if uow.communities.has_members(community.id):
        raise Conflict(
            f"community {community.id} has members; move them out (PATCH the prosumers' "
            "community_id to null) before deleting it"
        )
    uow.communities.delete(community)
    uow.commit()


def community_of_prosumer(uow: UnitOfWork, prosumer_id: str | None) -> str | None:
    """The community of a prosumer (what a prosumer key may see of communities)."""
    prosumer: ProsumerRecord | None = uow.registry.prosumer(prosumer_id or "")
    return None if prosumer is None else prosumer.community_id


def visible_community(
    uow: UnitOfWork,
    community_id: str,
    role: str,
    grid_id: str | None,
    prosumer_id: str | None,
) -> CommunityRecord:
    """The community if the key reaches it (404 otherwise): admins all, operators their grid's,
    prosumers their own community's."""
    community = uow.communities.get(community_id)
    reachable = community is not None and (
        role == "admin"
        or (role == "operator" and community.grid_id == grid_id)
        or (role == "prosumer" and community_of_prosumer(uow, prosumer_id) == community.id)
    )
    if not reachable or community is None:
        raise NotFound(f"community {community_id} does not exist")
    return community


def snapshot_groups(uow: UnitOfWork, grid_id: str) -> tuple[dict[str, str], dict[str, Settings]]:
    """What a close needs to total a timeframe per community: each member's community, and each
    community's peak rule (both as they are at the close)."""
    communities = uow.communities.of_grid(grid_id)
    if not communities:
        return {}, {}
    settings = {c.id: Settings(c.peak_threshold_w, c.peak_hysteresis) for c in communities}
    return uow.communities.membership(grid_id), settings


def list_peaks(
    uow: UnitOfWork,
    community: CommunityRecord,
    start_from: datetime,
    start_to: datetime,
    page: int,
    size: int,
) -> tuple[list[dict[str, Any]], int]:
    """The community's peaks overlapping [from, to), oldest first (an open one has no end)."""
    rows, total = uow.communities.peaks(
        community.id, naive_utc(start_from), naive_utc(start_to), page, size
    )
    return [_peak_view(p) for p in rows], total


def _peak_view(peak: PeakRecord) -> dict[str, Any]:
    def instant(value: datetime | None) -> str | None:
        return None if value is None else format_instant(aware_utc(value))

    return {
        "id": peak.id,
        "community_id": peak.community_id,
        "started_at": instant(peak.started_at),
        "ended_at": instant(peak.ended_at),
        "ongoing": peak.ended_at is None,
        "peak_w": peak.peak_w,
        "peak_at": instant(peak.peak_at),
        "threshold_w": peak.threshold_w,
    }


NOTIFIED = (ev.PEAK_STARTED, ev.PEAK_ENDED, ev.AUTARKY_GAINED, ev.AUTARKY_LOST)
MAX_ITEMS = 1000


def notifications(
    uow: UnitOfWork, community: CommunityRecord, after: str | None, limit: int
) -> dict[str, Any]:
    """The community's notifications after a cursor, oldest first (ValueError: bad cursor)."""
    position = ev.decode_cursor(after) if after else 0
    rows = uow.communities.notifications(community.id, NOTIFIED, position, min(limit, MAX_ITEMS))
    items = [
        {
            **row["data"],
            "event": row["type"].removeprefix("community."),
            "time": row["occurred_at"],
            "cursor": ev.encode_cursor(pos),
        }
        for pos, row in rows
    ]
    return {
        "community_id": community.id,
        "notifications": items,
        "next_cursor": items[-1]["cursor"] if items else after,
    }


def device_commands(
    uow: UnitOfWork, prosumer: ProsumerRecord, after: int, limit: int
) -> dict[str, Any]:
    """A prosumer's device commands with seq > `after`, oldest first."""
    rows = uow.communities.commands(prosumer.id, after, min(limit, MAX_ITEMS))
    items = [command_view(c) for c in rows]
    return {
        "prosumer_id": prosumer.id,
        "commands": items,
        "next_after": items[-1]["seq"] if items else after,
    }
