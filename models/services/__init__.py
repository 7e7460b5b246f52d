"""Use cases in domain words; each takes a unit of work and plain values."""
