"""The domain package imports only the standard library (and itself).

One exception: the vectorised physics under models/domain/physics may also import numpy,
pvlib and windpowerlib (DESIGN.md: physics is domain, arrays in, arrays out).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "models" / "domain"
PHYSICS = DOMAIN / "physics"
PHYSICS_LIBRARIES = frozenset({"numpy", "pvlib", "windpowerlib"})


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


def _non_stdlib(source: str, extra: frozenset[str] = frozenset()) -> set[str]:
    """Imported roots that are neither standard library, `extra`, nor models.domain itself."""
    allowed = set(sys.stdlib_module_names) | {"__future__"} | extra
    return {root for root in _imported_roots(source) if root not in allowed}


def _allowed_for(path: Path) -> frozenset[str]:
    """The third-party roots a domain module may import: physics libraries under physics/."""
    return PHYSICS_LIBRARIES if path.is_relative_to(PHYSICS) else frozenset()


def test_every_domain_module_imports_only_the_standard_library() -> None:
    """Parse each module under models/domain and reject third-party imports (physics aside)."""
    modules = sorted(DOMAIN.rglob("*.py"))
    assert len(modules) >= 8
    offenders = {
        str(p.relative_to(DOMAIN)): bad
        for p in modules
        if (bad := _non_stdlib(p.read_text(), _allowed_for(p)))
    }
    assert offenders == {}


def test_only_the_physics_package_may_import_numpy() -> None:
    """The exception covers models/domain/physics only, and only its listed libraries."""
    assert _allowed_for(PHYSICS / "battery.py") == PHYSICS_LIBRARIES
    assert _allowed_for(DOMAIN / "netting.py") == frozenset()
    assert _non_stdlib("import numpy as np", _allowed_for(DOMAIN / "netting.py")) == {"numpy"}
    physics = _allowed_for(PHYSICS / "solar.py")
    assert _non_stdlib("import numpy\nfrom pvlib import irradiance", physics) == set()
    assert _non_stdlib("import pandas\nfrom models.sql import tables", physics) == {
        "pandas",
        "models",
    }


def test_the_checker_catches_third_party_and_sibling_layers() -> None:
    """The check itself fails on non-stdlib imports (so it can fail)."""
    assert _non_stdlib("import web3\nfrom decimal import Decimal") == {"web3"}
    assert _non_stdlib("from sqlalchemy.orm import Session") == {"sqlalchemy"}
    assert _non_stdlib("from models.sql import tables") == {"models"}
    assert _non_stdlib("from models.domain.money import exact_amount") == set()
    assert _non_stdlib("from . import money\nimport hashlib, json") == set()
    assert _non_stdlib("import models.domain.money\nimport models.services") == {"models"}
    assert _non_stdlib("from models import sql") == {"models"}
