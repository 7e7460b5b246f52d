"""Errors the use cases raise, in domain words; the HTTP layer maps them to problems."""

from __future__ import annotations

from typing import TypeVar

T = TypeVar("T")


class DomainError(Exception):
    """Base: a well-formed request that the domain refuses."""

    status = 422
    slug = "unprocessable"
    title = "Unprocessable request"

    def __init__(self, detail: str, **extra: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    status, slug, title = 404, "not-found", "Not found"


class Conflict(DomainError):
    status, slug, title = 409, "conflict", "Conflict"


class Unprocessable(DomainError):
    status, slug, title = 422, "unprocessable", "Unprocessable request"


class PreconditionFailed(DomainError):
    status, slug, title = 412, "precondition-failed", "Precondition failed"


class Forbidden(DomainError):
    status, slug, title = 403, "forbidden", "Forbidden"


class PaymentRequired(DomainError):
    status, slug, title = 402, "payment-required", "Not enough datapoints"


class Unavailable(DomainError):
    status, slug, title = 503, "unavailable", "Dependency unavailable"


def found(record: T | None, what: str, record_id: str) -> T:
    """The record, or NotFound naming what does not exist."""
    if record is None:
        raise NotFound(f"{what} {record_id} does not exist")
    return record
