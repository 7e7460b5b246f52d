"""The committed OpenAPI document: `python -m api.openapi_doc write|check`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def generate() -> str:
    """The document the app generates, as stable text."""
    from api import create_app

    app = create_app({"LOG_LEVEL": "WARNING"})
    spec: dict[str, Any] = app.extensions["minigrid_api"].spec.to_dict()
    return json.dumps(spec, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    text = generate()
    if argv[1:] == ["write"]:
        DOC.parent.mkdir(exist_ok=True)
        DOC.write_text(text)
        print(f"wrote {DOC}")
        return 0
    if DOC.exists() and DOC.read_text() == text:
        print("openapi/openapi.json is up to date")
        return 0
    print("openapi/openapi.json differs from the app: run `make openapi`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
