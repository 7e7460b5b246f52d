"""Minigrid's domain, use cases and storage adapters."""
