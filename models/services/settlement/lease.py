"""One process at a time per settlement run: a lease on the run document, compare-and-set.

The holder is `host:pid:token`. A lease is free when released, expired, or held by a process of
this host that no longer exists (a killed `flask settle` does not block its own re-run). The
holder renews it before every transaction; a holder that lost it stops before sending.
"""

from __future__ import annotations

import os
import socket
import uuid
from datetime import timedelta
from typing import Any

from models.domain.timeframes import format_instant, parse_instant
from models.ports import Collection
from models.services.clock import aware_utc, utcnow
from models.services.errors import Conflict, NotFound

LEASE = timedelta(seconds=120)
HOST = socket.gethostname()


class LeaseHeld(Conflict):
    """Another live process holds the run's lease (it resumes here once that one ends)."""


def new_holder() -> str:
    """A holder id for one run attempt of this process."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _until() -> str:
    return format_instant(aware_utc(utcnow() + LEASE))


def _free(doc: dict[str, Any]) -> bool:
    holder, until = doc.get("owner"), doc.get("lease_until")
    if not holder or not until or parse_instant(until) <= aware_utc(utcnow()):
        return True
    host, _, rest = holder.partition(":")
    if host != HOST:
        return False
    try:
        os.kill(int(rest.partition(":")[0]), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def busy(doc: dict[str, Any] | None) -> bool:
    """True while another live process holds the run's lease."""
    return doc is not None and not _free(doc)


def claim(collection: Collection, run_id: str, holder: str) -> None:
    """Take the run's lease or raise Conflict naming who holds it."""
    doc = collection.get(run_id)
    if doc is None:
        raise NotFound(f"no settlement run {run_id} to take the lease of")
    if doc.get("owner") != holder and not _free(doc):
        raise LeaseHeld(
            f"settlement {run_id} is being run by {doc['owner']} (lease until "
            f"{doc['lease_until']}); it resumes here once that run ends or its lease expires"
        )
    expect = {"owner": doc.get("owner"), "lease_until": doc.get("lease_until")}
    if not collection.update(run_id, {"owner": holder, "lease_until": _until()}, expect):
        raise LeaseHeld(f"settlement {run_id} was just claimed by another process")


def renew(collection: Collection, run_id: str, holder: str) -> None:
    """Extend the lease before a side effect; Conflict if another process took it over."""
    if not collection.update(run_id, {"lease_until": _until()}, {"owner": holder}):
        raise Conflict(f"settlement {run_id}: another process took over this run; stopping")


def release(collection: Collection, run_id: str, holder: str) -> None:
    """Give the lease back (no-op if it is no longer ours)."""
    collection.update(run_id, {"owner": None, "lease_until": None}, {"owner": holder})
