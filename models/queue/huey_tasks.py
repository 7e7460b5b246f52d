"""The task queue on huey: SqliteHuey in a local file (default) or RedisHuey (production).

Every queued task is one huey task, `minigrid.run(name, kwargs)`, that runs the registered
service task (`models.services.tasks`) with the container of the worker's process. Huey removes
a task from the queue when a worker takes it, so a worker killed while running one would lose
it; each task therefore leaves an in-flight record (its serialized self and its worker's
`host:pid`) in the queue's own storage while it runs. Each worker writes a heartbeat; a record
whose worker is gone (its pid no longer exists on this host, or its heartbeat is older than
STALE_S) is queued again by the next worker that starts or sweeps (every SWEEP_S).

Periodic tasks (`every_s`): each worker's beat thread offers them every TICK_S; an offer queues
the task only when its interval has passed and no run of it is queued or running (a flag taken
with the storage's atomic put-if-empty, cleared when the run ends; one left by a lost run is
taken over after PERIODIC_STALE_S), so many workers on many hosts still run it once at a time.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from huey import RedisHuey, SqliteHuey
from huey.api import Huey
from huey.api import Task as HueyTask
from huey.constants import EmptyData
from huey.exceptions import RetryTask

from models.ports import Stores
from models.services import tasks as service_tasks

log = logging.getLogger("minigrid.tasks")
HOST = socket.gethostname()
INFLIGHT, ALIVE, PERIODIC, OFFERED = "inflight:", "alive:", "periodic:", "offered:"
HEARTBEAT_S, STALE_S, SWEEP_S, TICK_S = 5.0, 60.0, 15.0, 0.25
PERIODIC_STALE_S = 600.0


def open_huey(url: str, name: str) -> Huey:
    """SqliteHuey for `sqlite:///PATH`, RedisHuey for `redis://` / `rediss://`."""
    scheme = urlsplit(url).scheme
    if scheme == "sqlite":
        path = Path(url.removeprefix("sqlite:///").removeprefix("sqlite://"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(path), results=False, timeout=10)
    if scheme in ("redis", "rediss"):
        return RedisHuey(name, url=url, results=False)
    raise ValueError(f"no task queue for {url!r} (sqlite:/// or redis://)")


def worker_id() -> str:
    """This process as an in-flight record's owner."""
    return f"{HOST}:{os.getpid()}"


class HueyTasks:
    """The `TaskQueue` port on huey, and the worker side (in-flight records, sweeps)."""

    def __init__(self, url: str, name: str, container: Stores) -> None:
        self.url = url
        self.huey = open_huey(url, name)
        self.container = container
        self._run = self.huey.task(name="minigrid.run")(self._execute)
        self.huey.pre_execute("minigrid.inflight")(self._started)
        self.huey.post_execute("minigrid.inflight")(self._finished)

    # -- producer side (the TaskQueue port) ----------------------------------------------------

    def enqueue(self, task: str, delay_s: float = 0.0, **kwargs: Any) -> None:
        """Queue `task(container, **kwargs)` with its registered retry policy."""
        spec = service_tasks.lookup(task)
        args = {
            "retries": spec.retries,
            "retry_delay": spec.retry_delay_s,
            "retry_backoff": spec.backoff if spec.backoff != 1.0 else None,
        }
        if delay_s > 0:
            args["delay"] = delay_s
        self.huey.enqueue(self._run.s(task, kwargs, **args))

    def pending(self) -> int:
        """Tasks waiting in the queue or its schedule (retries, delayed tasks)."""
        return int(self.huey.pending_count()) + int(self.huey.scheduled_count())

    def queued(self) -> list[str]:
        """The names of the tasks waiting in the queue or its schedule."""
        waiting = [*self.huey.pending(), *self.huey.scheduled()]
        return [str(task.args[0]) for task in waiting if task.args]

    def in_flight(self) -> dict[str, str]:
        """Running tasks: huey task id -> owner `host:pid`."""
        return {
            key.removeprefix(INFLIGHT): _owner(value)
            for key, value in self._items().items()
            if key.startswith(INFLIGHT)
        }

    # -- worker side ---------------------------------------------------------------------------

    def _execute(self, name: str, kwargs: dict[str, Any]) -> Any:
        try:
            return service_tasks.run(self.container, name, kwargs)
        except service_tasks.RetryLater as exc:
            log.info("task %s %s: %s; again in %.0fs", name, kwargs, exc, exc.delay_s)
            raise RetryTask(delay=exc.delay_s) from exc

    def _started(self, task: HueyTask) -> None:
        data = self.huey.serialize_task(task)
        self.huey.storage.put_data(INFLIGHT + task.id, worker_id().encode() + b"\n" + data)

    def _finished(self, task: HueyTask, value: Any, exc: BaseException | None) -> None:
        self.huey.storage.delete_data(INFLIGHT + task.id)
        name = task.args[0] if task.args else None
        spec = service_tasks.REGISTRY.get(name) if isinstance(name, str) else None
        if spec is not None and spec.every_s is not None:
            self.huey.storage.delete_data(PERIODIC + spec.name)  # the next one may be queued

    def tick(self) -> list[str]:
        """Offer each periodic task to the queue; the ones queued now."""
        now, queued = time.time(), []
        for spec in service_tasks.periodic():
            assert spec.every_s is not None
            offered = self._time(OFFERED + spec.name)
            if now - offered < spec.every_s:
                continue
            if now - self._time(PERIODIC + spec.name) > PERIODIC_STALE_S:
                self.huey.storage.delete_data(PERIODIC + spec.name)  # its run was lost
            if not self.huey.storage.put_if_empty(PERIODIC + spec.name, str(now).encode()):
                continue  # a run is queued or running
            self.huey.storage.put_data(OFFERED + spec.name, str(now).encode())
            self.enqueue(spec.name)
            queued.append(spec.name)
        return queued

    def _time(self, key: str) -> float:
        value = self.huey.storage.peek_data(key)
        return 0.0 if value is EmptyData else float(bytes(value).decode())

    def heartbeat(self) -> None:
        """Say this worker process is alive (other hosts' sweeps read it)."""
        self.huey.storage.put_data(ALIVE + worker_id(), str(time.time()).encode())

    def sweep(self) -> int:
        """Queue again every task whose worker died while running it; how many were."""
        items = self._items()
        beats = {k.removeprefix(ALIVE): float(v) for k, v in items.items() if k.startswith(ALIVE)}
        requeued = 0
        for key, value in items.items():
            if not key.startswith(INFLIGHT) or not _gone(_owner(value), beats):
                continue
            taken = self.huey.storage.pop_data(key)  # one sweeper wins the record
            if taken is EmptyData:
                continue
            self.huey.storage.enqueue(bytes(taken).partition(b"\n")[2])
            log.warning("task %s of dead worker %s queued again", key, _owner(value))
            requeued += 1
        for owner in beats:
            if _gone(owner, beats):
                self.huey.storage.delete_data(ALIVE + owner)
        return requeued

    def drain(self, timeout_s: float = 30.0) -> int:
        """Run queued tasks in this thread until none is left or due within `timeout_s`
        (tests, `flask worker --burst`); how many ran."""
        ran, deadline = 0, time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            now = self.huey._get_timestamp()
            for task in self.huey.read_schedule(now):
                self.huey.enqueue(task)
            task = self.huey.dequeue() if self.huey.pending_count() else None
            if task is not None and self.huey.ready_to_run(task, now):
                self.huey.execute(task, now)
                ran += 1
            elif task is not None:
                self.huey.add_schedule(task)
            elif self.huey.scheduled_count():
                time.sleep(0.02)
            else:
                break
        return ran

    def run_worker(self, workers: int) -> None:
        """Run a huey consumer (threads) with heartbeats and sweeps until SIGINT/SIGTERM."""
        self.heartbeat()
        self.sweep()
        consumer = self.huey.create_consumer(
            workers=workers, worker_type="thread", periodic=False, max_delay=0.5
        )
        with self._beating():
            consumer.run()

    @contextlib.contextmanager
    def _beating(self) -> Iterator[None]:
        done = threading.Event()

        def beat() -> None:
            last_beat = last_sweep = time.monotonic()
            while not done.wait(TICK_S):
                try:
                    self.tick()
                    if time.monotonic() - last_beat >= HEARTBEAT_S:
                        self.heartbeat()
                        last_beat = time.monotonic()
                    if time.monotonic() - last_sweep >= SWEEP_S:
                        self.sweep()
                        last_sweep = time.monotonic()
                except Exception:  # the queue's store hiccuped: try again next beat
                    log.exception("task queue heartbeat failed")
                    done.wait(HEARTBEAT_S)

        thread = threading.Thread(target=beat, name="minigrid-heartbeat", daemon=True)
        thread.start()
        try:
            yield
        finally:
            done.set()
            self.huey.storage.delete_data(ALIVE + worker_id())

    def _items(self) -> dict[str, bytes]:
        return {
            (k.decode() if isinstance(k, bytes) else str(k)): bytes(v)
            for k, v in self.huey.storage.result_items().items()
        }

    def close(self) -> None:
        self.huey.storage.close()
        pool = getattr(self.huey.storage, "pool", None)  # Redis
        if pool is not None:
            pool.disconnect()


def _owner(value: bytes) -> str:
    return bytes(value).partition(b"\n")[0].decode()


def _gone(owner: str, beats: dict[str, float]) -> bool:
    """True when the worker `host:pid` no longer runs: its pid is gone from this host, or (another
    host) its last heartbeat is older than STALE_S."""
    host, _, pid = owner.partition(":")
    if host == HOST:
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return True
        except (PermissionError, ValueError):
            return False
        return False
    return time.time() - beats.get(owner, 0.0) > STALE_S
