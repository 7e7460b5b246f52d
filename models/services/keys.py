"""API keys: random secrets shown once, stored as a hash with a lookup prefix."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from models.ports import KeyRecord, Reads, UnitOfWork
from models.services.clock import utcnow
from models.services.errors import NotFound, Unprocessable, found

ROLES = ("admin", "operator", "prosumer", "meter", "partner")
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class Principal:
    """Who is calling: a key's role and the objects it is bound to."""

    key_id: str
    prefix: str
    role: str
    grid_id: str | None = None
    prosumer_id: str | None = None
    partner_id: str | None = None


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_key(
    uow: UnitOfWork, data: dict[str, Any], scope: str | None = None
) -> tuple[KeyRecord, str]:
    """Store a new key; return it with its secret, which is never shown again.

    With `scope`, the key must belong to that grid (an operator creating keys of its grid).
    """
    role = data["role"]
    _check_binding(uow, role, data)
    if scope is not None and data.get("grid_id") != scope:
        raise NotFound("that prosumer, partner or grid does not exist")
    prefix = secrets.token_hex(4)
    secret = f"mg_{prefix}_{secrets.token_urlsafe(32)}"
    key = uow.registry.add_key(
        id=str(uuid.uuid4()),
        prefix=prefix,
        secret_hash=_hash(secret),
        name=data.get("name") or role,
        role=role,
        grid_id=data.get("grid_id"),
        prosumer_id=data.get("prosumer_id"),
        partner_id=data.get("partner_id"),
        created_at=utcnow(),
        expires_at=data.get("expires_at"),
    )
    uow.commit()
    return key, secret


def _check_binding(uow: UnitOfWork, role: str, data: dict[str, Any]) -> None:
    if role == "admin":
        data.update(grid_id=None, prosumer_id=None, partner_id=None)
        return
    if role in ("prosumer", "meter"):
        prosumer = uow.registry.prosumer(data.get("prosumer_id") or "")
        if prosumer is None:
            raise Unprocessable(f"a {role} key needs the prosumer_id of an existing prosumer")
        data["grid_id"] = prosumer.grid_id
    elif role == "partner":
        partner = uow.registry.partner(data.get("partner_id") or "")
        if partner is None:
            raise Unprocessable("a partner key needs the partner_id of an existing partner")
        data["grid_id"] = partner.grid_id
    elif uow.registry.grid(data.get("grid_id") or "") is None:
        raise Unprocessable("an operator key needs the grid_id of an existing grid")
    own = "partner_id" if role == "partner" else "prosumer_id" if role != "operator" else None
    for name in ("prosumer_id", "partner_id"):  # a key is bound by its role's id only
        if name != own:
            data[name] = None


@dataclass(frozen=True)
class Verified:
    """A key that matched its token: who it is, until when, and whether to record its use."""

    principal: Principal
    expires_at: datetime | None
    stale: bool  # last used long enough ago to record again (once a minute keeps reads read-only)


def token_hash(token: str) -> str:
    """What the store keeps of a secret."""
    return _hash(token)


def verify(reads: Reads, token: str, digest: str) -> Verified | None:
    """Check a token (with its hash) against the stored key.

    None if the token is malformed, there is no such key, the hash differs, or it is revoked or
    expired.
    """
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != "mg":
        return None
    key = reads.key_by_prefix(parts[1])
    if key is None or not hmac.compare_digest(key.secret_hash, digest):
        return None
    now = utcnow()
    if key.revoked_at is not None or (key.expires_at is not None and key.expires_at <= now):
        return None
    stale = key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY
    who = Principal(key.id, key.prefix, key.role, key.grid_id, key.prosumer_id, key.partner_id)
    return Verified(who, key.expires_at, stale)


def touch_key(uow: UnitOfWork, key_id: str) -> None:
    """Record that a key was used now."""
    uow.registry.touch_key(key_id, utcnow())
    uow.commit()


def revoke_key(uow: UnitOfWork, key: KeyRecord) -> KeyRecord:
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        uow.commit()
    return key


def list_keys(
    uow: UnitOfWork, scope: str | None, page: int, size: int
) -> tuple[Sequence[KeyRecord], int]:
    """One page of keys, oldest first (only grid `scope`'s when given), and how many there are."""
    return uow.registry.keys(scope, page, size)


def ensure_admin_key(uow: UnitOfWork) -> str | None:
    """Create an admin key if none exists; return its secret (shown once), else None."""
    existing, _ = uow.registry.keys(None, 1, 10_000)
    if any(key.role == "admin" for key in existing):
        return None
    _, secret = create_key(uow, {"role": "admin", "name": "first admin"})
    return secret


def get_key(uow: UnitOfWork, key_id: str) -> KeyRecord:
    return found(uow.registry.key(key_id), "key", key_id)


def expiry_in_future(expires_at: datetime | None) -> None:
    if expires_at is not None and expires_at <= utcnow():
        raise Unprocessable("expires_at must be in the future")
