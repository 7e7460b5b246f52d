"""The compiled Settlement contract is cached on disk, keyed by its source and vyper's version."""

from __future__ import annotations

import json
from importlib.metadata import version
from pathlib import Path

from ledger.contract import SOURCE_PATH, cache_key, cached_compile, compile_source


def test_the_cache_holds_a_fresh_compile_and_is_read_back(tmp_path: Path) -> None:
    source = SOURCE_PATH.read_text()
    first = cached_compile(source, tmp_path)
    assert first == compile_source(source)  # what is cached is what vyper produces
    (path,) = tmp_path.iterdir()
    assert path.name == f"Settlement-{cache_key(source, version('vyper'))}.json"
    path.write_text(json.dumps({"abi": [], "bytecode": "0xfeed"}))
    assert cached_compile(source, tmp_path) == ([], "0xfeed")  # read, not compiled again


def test_a_changed_source_or_vyper_is_another_key() -> None:
    source = SOURCE_PATH.read_text()
    assert cache_key(source, "0.4.0") != cache_key(source + "\n", "0.4.0")
    assert cache_key(source, "0.4.0") != cache_key(source, "0.4.1")


def test_an_unreadable_or_unwritable_cache_still_compiles(tmp_path: Path) -> None:
    source = SOURCE_PATH.read_text()
    (tmp_path / f"Settlement-{cache_key(source, version('vyper'))}.json").write_text("{broken")
    abi, bytecode = cached_compile(source, tmp_path)
    assert bytecode.startswith("0x") and any(e.get("name") == "post_root" for e in abi)
    blocked = tmp_path / "file"
    blocked.write_text("not a directory")
    assert cached_compile(source, blocked / "sub")[1] == bytecode
