"""The current app's adapters, for views and commands."""

from __future__ import annotations

from flask import current_app

from models.bootstrap import Container


def container() -> Container:
    """The Container that create_app built for this app."""
    return current_app.extensions["minigrid"]  # type: ignore[no-any-return]
