"""Translating web3 and transport failures into ledger errors."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import ParamSpec, TypeVar

import requests
from web3.exceptions import (
    ContractLogicError,
    ProviderConnectionError,
    RequestTimedOut,
    Web3Exception,
    Web3RPCError,
)

from ledger.errors import LedgerError, LedgerReverted, LedgerUnavailable

try:  # eth-tester (dev only) raises its own error where a node would return a revert
    from eth_tester.exceptions import (
        TransactionFailed as TesterFailed,
    )
except ImportError:  # pragma: no cover - production installs lack eth-tester

    class TesterFailed(Exception):  # type: ignore[no-redef]
        """Placeholder when eth-tester is not installed."""


__all__ = ["TesterFailed", "revert_reason", "rpc"]
P = ParamSpec("P")
R = TypeVar("R")


def revert_reason(exc: ContractLogicError | TesterFailed) -> str:
    """The node's revert message without the 'execution reverted: ' prefix."""
    if isinstance(exc, ContractLogicError):
        message = str(exc.message or exc.data or "")
    else:
        message = str(exc.args[0]) if exc.args else ""
    return message.removeprefix("execution reverted: ").removeprefix("execution reverted")


@contextmanager
def translated(what: str) -> Iterator[None]:
    """Re-raise web3/transport errors from the block as LedgerError subclasses."""
    try:
        yield
    except LedgerError:
        raise
    except (ContractLogicError, TesterFailed) as exc:
        reason = revert_reason(exc) or "no reason given"
        raise LedgerReverted(f"{what} reverted: {reason}", reason=reason) from exc
    except (
        requests.ConnectionError,
        requests.Timeout,
        ProviderConnectionError,
        RequestTimedOut,
    ) as exc:
        raise LedgerUnavailable(f"{what}: node unreachable: {exc}") from exc
    except Web3RPCError as exc:
        raise LedgerError(f"{what} failed: {exc.message}") from exc
    except Web3Exception as exc:
        raise LedgerError(f"{what} failed: {exc}") from exc


def rpc(func: Callable[P, R]) -> Callable[P, R]:
    """Decorate a method so its node errors surface as ledger errors named after it."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with translated(func.__name__):
            return func(*args, **kwargs)

    return wrapper
