"""Fixtures of the task queue tests (shared with the settlement worker tests)."""

from tests.queue.fixtures import queue_settings  # noqa: F401
