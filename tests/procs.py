"""Processes a test starts are reaped even when it fails: every descendant carries an env tag."""

from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

TAG = "MINIGRID_TEST_PROCESS_TAG"


def tagged_pids(tag: str) -> list[int]:
    """Live processes (zombies have no environment) whose environment carries `tag`."""
    marker = f"{TAG}={tag}".encode()
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                pids.append(int(entry.name))
    return pids


def kill_tagged(tag: str, timeout_s: float = 10.0) -> list[int]:
    """SIGKILL every process carrying `tag` until none is left; return the pids found first."""
    found = tagged_pids(tag)
    deadline = time.monotonic() + timeout_s
    pids = found
    while pids and time.monotonic() < deadline:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.05)
        pids = tagged_pids(tag)
    return found


@contextlib.contextmanager
def reaped_env(base: dict[str, str] | None = None) -> Iterator[dict[str, str]]:
    """An environment for subprocesses; on exit, whatever still runs with it is SIGKILLed.

    The tag is inherited by every descendant (anvil, gunicorn workers), even one that moved to
    its own session or was re-parented after its parent died, so nothing outlives the test.
    """
    tag = uuid.uuid4().hex
    env = {**(os.environ if base is None else base), TAG: tag}
    try:
        yield env
    finally:
        kill_tagged(tag)
