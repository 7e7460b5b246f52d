"""Flows written beside the readings: one background worker, one batch in flight.

The simulation hands a batch of flow rows over only after that batch's readings committed, so
the document store never holds flows of readings that were refused; while the worker writes
them, the caller computes and writes the next batch's readings. The worker is a thread, or for
big runs (`separate_process`) a process of its own when the store can be written from one (the
SQLite file): an `executemany` holds the GIL while it binds each row, so a thread writing the
flows and the caller's thread writing the readings would take turns on one core; a process
writes them on the other core. A failed write is raised by the next `submit` or by `close`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ProcessPoolExecutor, ThreadPoolExecutor
from itertools import chain, repeat
from operator import itemgetter
from types import TracebackType
from typing import Any

from models.ports import FlowStore

Rows = Sequence[Sequence[str | int]]


class FlowsWriter:
    """`with FlowsWriter(store) as writer: writer.submit(rows)`; leaving waits for the last."""

    def __init__(self, store: FlowStore, *, separate_process: bool = False) -> None:
        target = _process_target(store) if separate_process else None
        self._target: Callable[[Any], None] = target or store.upsert_rows
        self.separate = target is not None  # a process of its own writes the flows
        self._pool: Executor = (
            ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
            if target
            else ThreadPoolExecutor(max_workers=1, thread_name_prefix="flows")
        )
        self._pending: Future[None] | None = None

    def submit(self, rows: Rows | Callable[[], Rows]) -> None:
        """Wait for the batch before (raising its error), then start writing `rows` (or what
        the callable builds, built by the worker too: off the caller's path; picklable when
        the worker is a process, as `partial(flow_rows, ...)` is)."""
        self.wait()
        self._pending = self._pool.submit(_write, self._target, rows)

    def wait(self) -> None:
        """Until the batch in flight is written; its error, if any, raised here."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def __enter__(self) -> FlowsWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc is None:
                self.wait()
            elif self._pending is not None:
                self._pending.exception()  # let it finish; the caller's error wins
        finally:
            self._pool.shutdown(wait=True)


def _process_target(store: FlowStore) -> Callable[[Any], None] | None:
    """The store's writer for another process, when it has one and this process may start one.
    The process is spawned, not forked: a fork of a threaded server could inherit a lock
    (SQLite's own mutexes) held by another thread; it imports the caller's main module as
    `__mp_main__` (import-safe, as multiprocessing asks) and opens its own connection."""
    make = getattr(store, "process_writer", None)
    if make is None or multiprocessing.current_process().daemon:  # no children for a daemon
        return None
    target: Callable[[Any], None] | None = make()
    return target


def _write(target: Callable[[Any], None], rows: Rows | Callable[[], Rows]) -> None:
    target(rows() if callable(rows) else rows)


def flow_rows(
    grid_id: str,
    ids: Sequence[str],
    starts: Sequence[str],
    frames: Sequence[Sequence[Sequence[int]]],
    order: Sequence[int] | None = None,
) -> list[tuple[str | int, ...]]:
    """FlowStore rows (FLOW_KEY, then the frame's columns and capacities) of timeframes at
    `starts`, prosumer by prosumer, each prosumer's timeframes in order; `order` picks each
    column's values in the order of `ids` (None: already in it)."""
    pick = itemgetter(*order) if order is not None and len(order) > 1 else None
    per_frame = [
        zip(
            repeat(grid_id),
            ids,
            repeat(start),
            *(map(pick, frame) if pick else frame),
        )
        for start, frame in zip(starts, frames, strict=True)
    ]
    return list(chain.from_iterable(zip(*per_frame, strict=True)))
