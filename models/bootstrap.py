"""Choose every adapter from configuration URLs, in one place."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models.ports import DocumentStores, Ledger, MessageBus, Outbound, Stores, TaskQueue
from models.sql.engine import make_engine
from models.sql.reads import SqlReads
from models.sql.uow import SqlUnitOfWork

if TYPE_CHECKING:
    from models.mqtt.bus import MqttBus
    from models.queue.huey_tasks import HueyTasks

# The relational store did not answer (down, restarting, connection cut): the API answers 503.
SQL_UNAVAILABLE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


class Container:
    """The adapters of one process: SQL engines, the document stores, the chain."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config = config
        timeout = float(config["STORE_TIMEOUT_S"])
        self.engine: Engine = make_engine(config["DATABASE_URL"], timeout, writer=True)
        self.read_engine: Engine = (
            make_engine(config["DATABASE_URL"], timeout, writer=False)
            if self.engine.dialect.name == "sqlite"
            else self.engine
        )
        self.statement_engine: Engine = (
            make_engine(config["DATABASE_URL"], timeout, writer=None)
            if self.engine.dialect.name == "sqlite"
            else self.engine
        )
        self.write_sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        self._bound = False
        self._held = threading.local()
        self._documents: DocumentStores | None = None
        self._chain: Ledger | None = None
        self._tasks: HueyTasks | None = None
        self._bus: MqttBus | None = None
        self._lock = threading.Lock()

    def uow(self, write: bool = True) -> SqlUnitOfWork:
        """A unit of work; read-only ones never take SQLite's write lock."""
        return SqlUnitOfWork(self.write_sessions if write else self.read_sessions)

    def use_ledger(self, ledger: Ledger) -> None:
        """Settle through `ledger` instead of connecting to LEDGER_URL (tests' in-memory fake)."""
        self._chain = ledger

    def bind_sessions(self, factory: sessionmaker[Session]) -> None:
        """Route every unit of work through one session factory (tests' rolled-back transaction)."""
        self.write_sessions = self.read_sessions = factory
        self._bound = True

    @contextlib.contextmanager
    def reading(self) -> Iterator[SqlReads]:
        """Core reads on a connection, without the ORM session's cost.

        Each statement reads its own snapshot (on SQLite no `BEGIN` at all): for reads whose
        statements need not agree with each other.
        """
        if self._bound:
            with self.read_sessions() as session:
                yield SqlReads(session.connection())
            return
        if self.statement_engine is self.engine:
            with self.engine.connect() as conn:
                yield SqlReads(conn)
            return
        held: Connection | None = self._held.__dict__.get("conn")  # SQLite: one per thread
        if held is None or held.closed:
            held = self._held.conn = self.statement_engine.connect()
        try:
            yield SqlReads(held)
        except BaseException:
            self._held.conn = None
            held.close()
            raise

    @property
    def documents(self) -> DocumentStores:
        """The document stores, opened on first use (after any fork)."""
        if self._documents is None:
            from models.documents import open_document_stores

            with self._lock:
                if self._documents is None:
                    self._documents = open_document_stores(
                        self.config["MONGO_URL"],
                        snapshots_db=self.config["MONGO_SNAPSHOTS_DB"],
                        transactions_db=self.config["MONGO_TRANSACTIONS_DB"],
                        timeout_s=float(self.config["STORE_TIMEOUT_S"]),
                    )
        return self._documents

    @property
    def chain(self) -> Ledger:
        """The chain client, connected on first use."""
        if self._chain is None:
            from ledger.chain import Chain

            with self._lock:
                if self._chain is None:
                    self._chain = Chain.connect(
                        self.config["LEDGER_URL"],
                        self.config["OPERATOR_KEY"],
                        float(self.config["STORE_TIMEOUT_S"]),
                        tx_wait_s=float(self.config["TX_WAIT_S"]),
                        fee_cap_wei=int(self.config["FEE_CAP_WEI"]),
                    )
        return self._chain

    @property
    def tasks(self) -> TaskQueue:
        """The task queue on QUEUE_URL (huey: SQLite file or Redis), opened on first use."""
        return self.task_queue()

    def task_queue(self) -> HueyTasks:
        """The huey adapter itself (workers, tests: drain, sweep, pending)."""
        if self._tasks is None:
            from models.queue.huey_tasks import HueyTasks

            with self._lock:
                if self._tasks is None:
                    url, name = self.config["QUEUE_URL"], self.config["QUEUE_NAME"]
                    self._tasks = HueyTasks(url, name, self)
        return self._tasks

    @property
    def outbound(self) -> Outbound:
        """Webhook requests: signed, bounded, refused for private targets unless allowed."""
        from models.outbound.webhooks import HttpOutbound

        return HttpOutbound(
            float(self.config["WEBHOOK_TIMEOUT_S"]), str(self.config["WEBHOOK_ALLOWED_NETWORKS"])
        )

    @property
    def bus(self) -> MessageBus | None:
        """The MQTT broker on MQTT_URL (paho-mqtt, connected on first publish), or None."""
        if self._bus is None and self.config.get("MQTT_URL"):
            from models.mqtt.bus import MqttBus

            with self._lock:
                if self._bus is None:
                    url, timeout = self.config["MQTT_URL"], float(self.config["STORE_TIMEOUT_S"])
                    self._bus = MqttBus(url, timeout)
        return self._bus

    def ping_sql(self) -> None:
        with self.read_engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def close(self) -> None:
        held = self._held.__dict__.get("conn")
        if held is not None:
            held.close()
        if self._documents is not None:
            self._documents.close()
        if self._tasks is not None:
            self._tasks.close()
        if self._bus is not None:
            self._bus.close()
        for engine in {self.engine, self.read_engine, self.statement_engine}:
            engine.dispose()


def local_chain_node() -> tuple[Callable[..., Any], Callable[..., None]]:
    """Start and stop functions of a local dev chain node (anvil), for `make run`."""
    from ledger.anvil import start_anvil, stop_anvil

    return start_anvil, stop_anvil


def dev_wallets(first: int, count: int) -> list[str]:
    """Addresses of anvil's dev accounts first .. first + count - 1 (the demo's wallets)."""
    from ledger.devaccounts import dev_keys

    return [address for address, _ in dev_keys(first, count)]


def _implements(container: Container) -> Stores:
    return container  # mypy checks the container against the port services receive
