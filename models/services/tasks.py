"""Background tasks by name: what a worker process runs for `container.tasks.enqueue(name, ...)`.

A task is a service function `fn(container, **kwargs)` with JSON keyword arguments, registered
with `@task(name, ...)` in the module that owns the use case (listed in TASK_MODULES so a worker
finds every task without importing the web layer). Tasks run at least once: after an exception
they are retried (`retries` times, `retry_delay_s` apart, times `backoff` each retry), and a task
whose worker was killed is queued again, so each must be idempotent: re-running it finishes the
work without repeating a side effect (the durable state lives in the stores, not in the task).

A periodic task (`every_s`) takes no arguments: every worker process offers it to the queue each
`every_s` seconds, and the queue keeps at most one of it queued or running at a time (webhook
delivery passes, device commands out).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from models.ports import Stores

# Modules that register tasks; a helper adding tasks appends its module here.
TASK_MODULES = (
    "models.services.settlement.jobs",
    "models.services.simulation_jobs",
    "models.services.webhooks",
    "models.services.device_commands",
    "models.services.peaks",
)


@dataclass(frozen=True)
class Task:
    name: str
    fn: Callable[..., Any]
    retries: int = 0
    retry_delay_s: float = 0.0
    backoff: float = 1.0
    every_s: float | None = None  # periodic: offered to the queue this often


class RetryLater(Exception):  # noqa: N818 (a request to the queue, not an error)
    """Raised by a task that cannot go on yet (e.g. another process holds the lease): run it
    again after `delay_s`, without using up its retries."""

    def __init__(self, detail: str, delay_s: float) -> None:
        super().__init__(detail)
        self.delay_s = delay_s


class UnknownTask(LookupError):
    """A queued task name nobody registered (a newer producer, an older worker)."""


REGISTRY: dict[str, Task] = {}


def task(
    name: str,
    retries: int = 0,
    retry_delay_s: float = 0.0,
    backoff: float = 1.0,
    every_s: float | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register `fn(container, **kwargs)` as the task `name` (periodic with `every_s`)."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        REGISTRY[name] = Task(name, fn, retries, retry_delay_s, backoff, every_s)
        return fn

    return register


def _import_all() -> None:
    for module in TASK_MODULES:
        importlib.import_module(module)


def lookup(name: str) -> Task:
    """The registered task `name` (importing TASK_MODULES first); UnknownTask if none."""
    if name not in REGISTRY:
        _import_all()
    try:
        return REGISTRY[name]
    except KeyError:
        raise UnknownTask(f"no task named {name!r} is registered") from None


def periodic() -> list[Task]:
    """Every registered periodic task."""
    _import_all()
    return [t for t in REGISTRY.values() if t.every_s is not None]


def run(container: Stores, name: str, kwargs: dict[str, Any]) -> Any:
    """Run the task `name` with `kwargs` in this process."""
    return lookup(name).fn(container, **kwargs)
