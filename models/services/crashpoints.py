"""Deterministic crash points for crash-and-rerun tests: MINIGRID_CRASH_AT=name[:n].

The process kills itself with SIGKILL the n-th time (default 1st) it reaches the named point.
Unset in production; reading one environment variable is the whole cost.
"""

from __future__ import annotations

import os
import signal

_hits: dict[str, int] = {}


def crash_point(name: str) -> None:
    """SIGKILL this process here if MINIGRID_CRASH_AT names this point (and its count is due)."""
    target = os.environ.get("MINIGRID_CRASH_AT")
    if not target:
        return
    point, _, nth = target.rpartition(":")
    if not nth.isdigit():
        point, nth = target, "1"
    if point != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] >= int(nth):
        os.kill(os.getpid(), signal.SIGKILL)
