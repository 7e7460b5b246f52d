"""The task queue adapter on huey's SQLite storage and on Redis: run, retry, recover."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from models.queue import huey_tasks
from models.queue.huey_tasks import INFLIGHT, HueyTasks, worker_id
from models.services import tasks as service_tasks
from models.services.tasks import REGISTRY, RetryLater, Task, UnknownTask


class Calls:
    """A stand-in container that records what the tasks were called with."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []
        self.fail = 0


@pytest.fixture
def queue(queue_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[HueyTasks]:
    def record(container: Calls, **kwargs: Any) -> None:
        container.seen.append(kwargs)
        if container.fail:
            container.fail -= 1
            raise RuntimeError("the node went away")

    def later(container: Calls, **kwargs: Any) -> None:
        container.seen.append(kwargs)
        if len(container.seen) == 1:
            raise RetryLater("leased elsewhere", 0.2)

    monkeypatch.setitem(REGISTRY, "test.record", Task("test.record", record, 2, 0.0))
    monkeypatch.setitem(REGISTRY, "test.later", Task("test.later", later, 0, 0.0))
    tick = Task("test.tick", record, every_s=0.3)
    monkeypatch.setitem(REGISTRY, "test.tick", tick)
    monkeypatch.setattr(service_tasks, "periodic", lambda: [tick])
    tasks = HueyTasks(queue_settings["QUEUE_URL"], queue_settings["QUEUE_NAME"], Calls())
    yield tasks
    tasks.huey.flush()
    tasks.close()


def test_a_queued_task_runs_once_with_its_arguments(queue: HueyTasks) -> None:
    queue.enqueue("test.record", grid_id="g1", month="2026-10")
    assert queue.pending() == 1 and queue.container.seen == []
    assert queue.drain() == 1
    assert queue.container.seen == [{"grid_id": "g1", "month": "2026-10"}]
    assert queue.pending() == 0 and queue.in_flight() == {}


def test_a_failing_task_is_retried_then_given_up(queue: HueyTasks) -> None:
    queue.container.fail = 5
    queue.enqueue("test.record", n=1)
    assert queue.drain() == 3  # the first run and its two retries
    assert len(queue.container.seen) == 3 and queue.pending() == 0


def test_retry_later_waits_without_using_up_retries(queue: HueyTasks) -> None:
    queue.enqueue("test.later", n=1)
    assert queue.drain() == 2 and len(queue.container.seen) == 2


def test_a_delayed_task_waits_for_its_time(queue: HueyTasks) -> None:
    queue.enqueue("test.record", delay_s=0.3, n=1)
    assert queue.drain(timeout_s=0.1) == 0 and queue.container.seen == []
    assert queue.pending() == 1 and queue.drain() == 1 and queue.container.seen == [{"n": 1}]


def test_an_unknown_task_is_refused_when_queued(queue: HueyTasks) -> None:
    with pytest.raises(UnknownTask, match="nope"):
        queue.enqueue("nope")


def _orphan(queue: HueyTasks, owner: str) -> str:
    """Leave an in-flight record as a worker `owner` killed mid-task would."""
    queue.enqueue("test.record", n=7)
    task = queue.huey.dequeue()
    data = queue.huey.serialize_task(task)
    queue.huey.storage.put_data(INFLIGHT + task.id, owner.encode() + b"\n" + data)
    return str(task.id)


def test_a_task_of_a_dead_worker_is_queued_again_by_the_sweep(queue: HueyTasks) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait()  # a pid that no longer exists on this host
    task_id = _orphan(queue, f"{huey_tasks.HOST}:{dead.pid}")
    alive_id = _orphan(queue, worker_id())  # this process: alive, left alone
    assert set(queue.in_flight()) == {task_id, alive_id} and queue.pending() == 0
    assert queue.sweep() == 1 and queue.sweep() == 0
    assert set(queue.in_flight()) == {alive_id}
    assert queue.drain() == 1 and queue.container.seen == [{"n": 7}]


def test_another_hosts_worker_is_gone_once_its_heartbeat_is_stale(
    queue: HueyTasks, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = "elsewhere:4242"
    _orphan(queue, other)
    queue.huey.storage.put_data(huey_tasks.ALIVE + other, b"1000.0")  # long ago
    fresh = "fresh-host:7"
    _orphan(queue, fresh)
    queue.huey.storage.put_data(huey_tasks.ALIVE + fresh, str(__import__("time").time()).encode())
    assert queue.sweep() == 1
    assert set(queue.in_flight().values()) == {fresh}


def test_a_periodic_task_is_queued_once_per_interval_and_one_at_a_time(queue: HueyTasks) -> None:
    other = HueyTasks(queue.url, queue.huey.name, queue.container)  # another worker process
    assert queue.tick() == ["test.tick"]
    assert queue.tick() == [] and other.tick() == []  # within its interval
    time.sleep(0.35)
    queue.huey.storage.put_data(huey_tasks.OFFERED + "test.tick", b"0")  # interval over
    assert other.tick() == [] and queue.pending() == 1  # the first is still queued
    assert queue.drain() == 1 and queue.container.seen == [{}]
    assert other.tick() == ["test.tick"] and queue.tick() == []  # once done, once again
    assert queue.drain() == 1 and len(queue.container.seen) == 2
    other.close()


def test_a_lost_periodic_run_does_not_block_it_for_ever(queue: HueyTasks) -> None:
    assert queue.tick() == ["test.tick"]
    queue.huey.storage.flush_queue()  # the queued run is lost (e.g. a Redis failover)
    queue.huey.storage.put_data(huey_tasks.OFFERED + "test.tick", b"0")
    assert queue.tick() == []  # its flag still says queued...
    stale = str(time.time() - huey_tasks.PERIODIC_STALE_S - 1).encode()
    queue.huey.storage.put_data(huey_tasks.PERIODIC + "test.tick", stale)
    assert queue.tick() == ["test.tick"]  # ...until it is older than a run can be
    assert queue.drain() == 1


def test_the_registry_knows_the_background_tasks() -> None:
    periodic = {t.name for t in service_tasks.periodic()}
    assert {"events.deliver", "mqtt.device_commands"} <= periodic
    assert service_tasks.lookup("simulation.run").every_s is None
    assert service_tasks.lookup("settlement.run").retries > 0
    assert service_tasks.lookup("settlement.reconcile_payment").fn is not None
