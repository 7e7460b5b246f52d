"""The dashboard's files over HTTP: pages, modules, the two vendored libraries and nothing else."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from api.dashboard.routes import NODE_MODULES, STATIC, VENDOR
from tests.conftest import make_test_app


@pytest.fixture
def web(sqlite_template: Path, tmp_path: Path) -> Iterator[Any]:
    db = tmp_path / "registry.db"
    shutil.copy(sqlite_template, db)
    app = make_test_app(f"sqlite:///{db}", tmp_path)
    yield app.test_client()
    app.extensions["minigrid"].close()


class Answer:
    """A response read whole and closed (file responses hold their file open until then)."""

    def __init__(self, web: Any, path: str) -> None:
        response = web.get(path)
        self.status_code, self.mimetype = response.status_code, response.mimetype
        self.headers, self.data = response.headers, response.get_data()
        response.close()

    def text(self) -> str:
        return self.data.decode()


@pytest.mark.parametrize("page", ["", "market.html", "settlement.html", "prosumer.html"])
def test_pages_are_served_without_a_key_and_load_only_their_own_files(web: Any, page: str) -> None:
    answer = Answer(web, f"/dashboard/{page}")
    assert answer.status_code == 200 and answer.mimetype == "text/html"
    policy = answer.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy
    html = answer.text()
    assert "http://" not in html and "https://" not in html  # no CDN
    assert '<script type="module" src="js/' in html


def test_every_module_a_page_imports_is_served_as_javascript(web: Any) -> None:
    modules = sorted(p.name for p in (STATIC / "js").glob("*.js"))
    assert "overview.js" in modules and "verify.js" in modules
    for name in modules:
        answer = Answer(web, f"/dashboard/js/{name}")
        assert answer.status_code == 200 and "javascript" in answer.mimetype, name
        assert "https://" not in answer.text(), name


def test_the_vendored_libraries_come_from_node_modules(web: Any) -> None:
    if not all((NODE_MODULES / path).is_file() for path in VENDOR.values()):
        missing = "node_modules not installed: npm ci (make install)"
        pytest.fail(missing) if os.environ.get("CI") else pytest.skip(missing)
    for name, path in VENDOR.items():
        answer = Answer(web, f"/dashboard/vendor/{name}")
        assert answer.status_code == 200, name
        assert answer.data == (NODE_MODULES / path).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/dashboard/vendor/package.json",
        "/dashboard/vendor/..%2Fpackage.json",
        "/dashboard/vendor/uplot",
        "/dashboard/../node_modules/ethers/package.json",
        "/dashboard/js/../../routes.py",
    ],
)
def test_nothing_else_is_reachable(web: Any, path: str) -> None:
    answer = Answer(web, path)
    assert answer.status_code == 404, path
    assert b"import" not in answer.data
