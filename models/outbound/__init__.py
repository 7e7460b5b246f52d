"""Outbound requests to the world (webhook subscribers)."""
