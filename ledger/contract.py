"""The Settlement contract: its source file and its ABI and bytecode, compiled once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

SOURCE_PATH = Path(__file__).with_name("contracts") / "Settlement.vy"


@cache
def compiled() -> tuple[list[dict[str, Any]], str]:
    """Compile Settlement.vy with the vyper package; return (abi, 0x-prefixed bytecode)."""
    import vyper

    out = vyper.compile_code(SOURCE_PATH.read_text(), output_formats=["abi", "bytecode"])
    return out["abi"], out["bytecode"]
