"""How grids and periods are named on chain: 32-byte grid keys and sha256 period ids."""

from __future__ import annotations

import hashlib
import uuid


def grid_key(uuid_text: str) -> bytes:
    """The grid's UUID as 16 bytes, left-padded with zeros to 32 bytes."""
    return uuid.UUID(uuid_text).bytes.rjust(32, b"\0")


def period_id(key: bytes, period_number: int) -> bytes:
    """sha256(grid_key || period_number as uint256), period_number being YYYYMM."""
    if len(key) != 32:
        raise ValueError("grid key must be 32 bytes")
    return hashlib.sha256(key + period_number.to_bytes(32, "big")).digest()
