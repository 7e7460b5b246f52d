"""The browser dashboard: static pages over the public API (see routes.py)."""
