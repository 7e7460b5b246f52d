"""The task queue adapter (huey), chosen by URL in models/bootstrap.py."""
