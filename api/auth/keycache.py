"""Keys verified in the last few seconds, so a read does not look its key up every time.

A hit is served for at most `ttl_s` seconds after the store last confirmed the key, and only while
the key's expiry time is still ahead (checked on every use). So a key revoked or deleted by any
process stops working within `ttl_s` seconds; one revoked through this process stops at once,
because every write request through this process empties the cache.
"""

from __future__ import annotations

import time

from models.services.clock import utcnow
from models.services.keys import Principal, Verified


class VerifiedKeys:
    """Principals by token hash, each confirmed by the store less than `ttl_s` seconds ago."""

    def __init__(self, ttl_s: float, size: int = 10_000) -> None:
        self.ttl_s = ttl_s
        self.size = size
        self._entries: dict[str, tuple[float, Verified]] = {}

    def get(self, digest: str) -> Principal | None:
        """The principal of a recently verified, unexpired key; None to ask the store."""
        entry = self._entries.get(digest)
        if entry is None:
            return None
        confirmed, verified = entry
        expires = verified.expires_at
        too_old = time.monotonic() - confirmed >= self.ttl_s
        if too_old or (expires is not None and expires <= utcnow()):
            self._entries.pop(digest, None)
            return None
        return verified.principal

    def put(self, digest: str, verified: Verified) -> None:
        """Remember a key the store has just confirmed."""
        if self.ttl_s <= 0:
            return
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[digest] = (time.monotonic(), verified)

    def clear(self) -> None:
        self._entries.clear()
