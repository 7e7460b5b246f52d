"""Deterministic crash points for tests: MINIGRID_CRASH_AT=<phase>:<n> SIGKILLs the process."""

from __future__ import annotations

import os
import signal
from collections import Counter

_seen: Counter[str] = Counter()


def crash_point(phase: str) -> None:
    """SIGKILL this process the n-th time it reaches `phase` if MINIGRID_CRASH_AT says so."""
    wanted = os.environ.get("MINIGRID_CRASH_AT", "")
    if not wanted:
        return
    name, _, nth = wanted.partition(":")
    if name != phase:
        return
    _seen[phase] += 1
    if _seen[phase] == int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)
