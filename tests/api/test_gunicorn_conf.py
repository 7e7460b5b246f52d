"""gunicorn.conf.py: a worker has the chain adapter imported before its first request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_worker_imports_the_chain_adapter_before_serving() -> None:
    code = (
        "import runpy, sys\n"
        "hooks = runpy.run_path('gunicorn.conf.py')\n"
        "assert 'ledger.chain' not in sys.modules\n"
        "hooks['post_worker_init'](None)\n"
        "assert 'ledger.chain' in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, timeout=120)
