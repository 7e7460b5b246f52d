"""Bearer API keys, roles and object-level authorization."""
