"""Explicit operator nonces: read once from the node, then handed out in order."""

from __future__ import annotations

import threading


class NonceManager:
    """Hands out consecutive nonces from a starting point (the node's pending count)."""

    def __init__(self, start: int) -> None:
        self._next = start
        self._lock = threading.Lock()

    def next(self) -> int:
        """Reserve and return the next nonce."""
        with self._lock:
            nonce = self._next
            self._next += 1
            return nonce

    def peek(self) -> int:
        """The nonce the next call to `next()` will return."""
        return self._next
