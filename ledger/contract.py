"""The Settlement contract: its source file and its ABI and bytecode, compiled once per machine.

Compiling with vyper costs seconds (about 13 s under load), in every process that deploys or
calls the contract (each gunicorn worker, each `flask settle`). The output is cached on disk as
JSON keyed by sha256(source, vyper version): a changed source or vyper compiles afresh, an
unchanged one is read in milliseconds. The cache lives in $MINIGRID_CACHE_DIR, else
$XDG_CACHE_HOME/minigrid, else ~/.cache/minigrid; if it cannot be written, the process just
keeps its compile in memory.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import Any

SOURCE_PATH = Path(__file__).with_name("contracts") / "Settlement.vy"
Compiled = tuple[list[dict[str, Any]], str]


def cache_dir() -> Path:
    """Where compiled contracts are kept (see the module docstring)."""
    if os.environ.get("MINIGRID_CACHE_DIR"):
        return Path(os.environ["MINIGRID_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "minigrid"


def cache_key(source: str, vyper_version: str) -> str:
    """sha256 of the vyper version and the source."""
    return hashlib.sha256(f"vyper {vyper_version}\n{source}".encode()).hexdigest()


def compile_source(source: str) -> Compiled:
    """Compile Vyper source with the vyper package: (abi, 0x-prefixed bytecode)."""
    import vyper

    out = vyper.compile_code(source, output_formats=["abi", "bytecode"])
    return out["abi"], out["bytecode"]


def _read(path: Path) -> Compiled | None:
    try:
        data = json.loads(path.read_text())
        return data["abi"], data["bytecode"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write(path: Path, abi: list[dict[str, Any]], bytecode: str) -> None:
    """Write atomically (a temp file renamed): a concurrent reader sees all or nothing."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False) as tmp:
            json.dump({"abi": abi, "bytecode": bytecode}, tmp)
        os.replace(tmp.name, path)
    except OSError:
        return


def cached_compile(source: str, directory: Path) -> Compiled:
    """The compiled source from `directory` if cached there, else compiled and cached."""
    path = directory / f"Settlement-{cache_key(source, version('vyper'))}.json"
    found = _read(path)
    if found is not None:
        return found
    abi, bytecode = compile_source(source)
    _write(path, abi, bytecode)
    return abi, bytecode


@cache
def compiled() -> Compiled:
    """Settlement.vy's (abi, 0x-prefixed bytecode), from the disk cache when it is there."""
    return cached_compile(SOURCE_PATH.read_text(), cache_dir())
