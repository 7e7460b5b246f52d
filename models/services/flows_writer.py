"""Flows written beside the readings: one background thread, one batch in flight.

The simulation hands a batch of flow rows over only after that batch's readings committed, so
the document store never holds flows of readings that were refused; while the thread writes
them, the caller computes and writes the next batch's readings (SQLite's and the drivers' calls
release the GIL, so the two stores are written in parallel on two cores). A failed write is
raised by the next `submit` or by `close`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from types import TracebackType

from models.ports import FlowStore

Rows = Sequence[Sequence[str | int]]


class FlowsWriter:
    """`with FlowsWriter(store) as writer: writer.submit(rows)`; leaving waits for the last."""

    def __init__(self, store: FlowStore) -> None:
        self._store = store
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="flows")
        self._pending: Future[None] | None = None

    def submit(self, rows: Rows | Callable[[], Rows]) -> None:
        """Wait for the batch before (raising its error), then start writing `rows` (or what
        the callable builds, built in the writer's thread too: off the caller's path)."""
        self.wait()
        self._pending = self._pool.submit(self._write, rows)

    def _write(self, rows: Rows | Callable[[], Rows]) -> None:
        self._store.upsert_rows(rows() if callable(rows) else rows)

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
