"""Imports point down only: api -> services -> ports and domain; adapters stay below.

Every import is parsed with `ast`, including those inside functions. The domain's own rule
(standard library only, physics with numpy) is tests/domain/test_purity.py.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
STDLIB = frozenset(sys.stdlib_module_names) | {"__future__"}

# api/ does HTTP: it calls services (and the container in models/bootstrap.py), never a store.
API_FORBIDDEN = ("models.sql", "models.documents", "ledger", "sqlalchemy", "pymongo", "web3")
# services speak to stores only through models/ports.py
SERVICES_ALLOWED = ("models.ports", "models.domain", "models.services")


def imports_of(source: str, package: str) -> set[str]:
    """Absolute names of every module `source` imports, at any depth (relative ones resolved)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = node.module or ""
            if node.level:
                module = ".".join([*base, module] if module else base)
            names.add(module)
    return names


def _within(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _modules(folder: str) -> list[Path]:
    found = sorted((ROOT / folder).rglob("*.py"))
    assert found, folder
    return found


def _offenders(folder: str, bad: Callable[[str], bool]) -> dict[str, set[str]]:
    out = {}
    for path in _modules(folder):
        package = ".".join(path.relative_to(ROOT).parts[:-1])
        names = {name for name in imports_of(path.read_text(), package) if bad(name)}
        if names:
            out[str(path.relative_to(ROOT))] = names
    return out


def _check(offenders: dict[str, set[str]], prefix: str) -> None:
    assert offenders == {}, f"{prefix} imports across the layering: {offenders}"


def test_api_imports_no_store_adapter() -> None:
    """api/ imports neither models.sql, models.documents, ledger nor a store's driver."""
    _check(_offenders("api", lambda name: _within(name, API_FORBIDDEN)), "api/")


def test_services_import_only_ports_domain_and_services() -> None:
    """models/services imports the standard library, ports, domain and other services only."""

    def bad(name: str) -> bool:
        return name.split(".")[0] not in STDLIB and not _within(name, SERVICES_ALLOWED)

    _check(_offenders("models/services", bad), "models/services/")


def test_the_checker_sees_function_level_and_relative_imports() -> None:
    """A violation hidden in a function body or written relatively is still found."""
    source = "def f():\n    from models.sql import tables\n    from ..sql import reads\n"
    assert imports_of(source, "models.services") == {"models.sql"}
    source = "import ledger.errors\nfrom . import keys\n"
    assert imports_of(source, "models.services") == {"ledger.errors", "models.services"}
