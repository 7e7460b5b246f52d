"""Run one correction in this process (the crash test SIGKILLs it at MINIGRID_CRASH_AT).

python -m tests.api.correction_child VAR GRID START KEY BODY_JSON
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from api.config import load_config
from models.bootstrap import Container
from models.domain.timeframes import parse_instant
from models.services.corrections import correct_timeframe


def main(var: str, grid_id: str, start: str, key: str, body: str) -> None:
    """The stores alone (no Flask app: a correction needs none), then the correction."""
    settings = {
        "DATABASE_URL": f"sqlite:///{Path(var) / 'registry.db'}",
        "MONGO_URL": f"sqlite:///{Path(var) / 'documents.db'}",
        "LEDGER_URL": "eth-tester://",
        "QUEUE_URL": f"sqlite:///{Path(var) / 'queue.db'}",
    }
    container = Container(load_config(settings))
    view, replayed = correct_timeframe(
        container, grid_id, parse_instant(start), key, json.loads(body), ("crash-test", "admin")
    )
    print(json.dumps({"version": view["version"], "replayed": replayed}))
    container.close()


if __name__ == "__main__":
    main(*sys.argv[1:6])
