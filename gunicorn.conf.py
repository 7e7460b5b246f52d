"""Gunicorn settings read from the repository directory (`make run`, `gunicorn wsgi:app`).

A worker imports the chain adapter (web3: about 2.5 s on a 2-CPU machine) before it serves, so the
readiness probe's 2 s bound measures the node, not a first import, and a respawned worker is ready
as soon as it accepts.
"""

from __future__ import annotations

import importlib
from typing import Any


def post_worker_init(worker: Any) -> None:
    """Import the chain adapter in the worker before its first request."""
    importlib.import_module("ledger.chain")
