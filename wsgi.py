"""WSGI entry point: `gunicorn wsgi:app`. Bad configuration stops it with one clear line."""

import sys

from api import create_app
from api.config import ConfigError

try:
    app = create_app()
except ConfigError as exc:
    sys.exit(f"minigrid: invalid configuration: {exc}")
