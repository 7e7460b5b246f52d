"""The domain package imports only the standard library (and itself)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "models" / "domain"


def _imported_roots(source: str) -> set[str]:
    """Top-level module names of absolute imports in `source`, models.domain itself excepted."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    own = ("models.domain.", "models.domain")
    return {name.split(".")[0] for name in names if not name.startswith(own) or name == "models"}


def _non_stdlib(source: str) -> set[str]:
    """Imported roots that are neither standard library nor models.domain itself."""
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    return {root for root in _imported_roots(source) if root not in allowed}


def test_every_domain_module_imports_only_the_standard_library() -> None:
    """Parse each module under models/domain and reject third-party imports."""
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) >= 8
    offenders = {str(p.name): bad for p in modules if (bad := _non_stdlib(p.read_text()))}
    assert offenders == {}


def test_the_checker_catches_third_party_and_sibling_layers() -> None:
    """The check itself fails on non-stdlib imports (so it can fail)."""
    assert _non_stdlib("import web3\nfrom decimal import Decimal") == {"web3"}
    assert _non_stdlib("from sqlalchemy.orm import Session") == {"sqlalchemy"}
    assert _non_stdlib("from models.sql import tables") == {"models"}
    assert _non_stdlib("from models.domain.money import exact_amount") == set()
    assert _non_stdlib("from . import money\nimport hashlib, json") == set()
    assert _non_stdlib("import models.domain.money\nimport models.services") == {"models"}
    assert _non_stdlib("from models import sql") == {"models"}
