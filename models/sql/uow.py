"""The unit of work: one transaction, committed explicitly, rolled back otherwise."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.orm import Session, sessionmaker

from models.ports import UnitOfWork
from models.sql.communities import SqlCommunities
from models.sql.corrections import SqlCorrections
from models.sql.events import SqlEventLog, SqlWebhooks
from models.sql.registry import SqlRegistry


class SqlUnitOfWork:
    """`with uow:` opens a session; `uow.commit()` makes the work durable."""

    def __init__(self, session_factory: sessionmaker[Session]) -> None:
        self._factory = session_factory
        self.session: Session | None = None
        self.registry: SqlRegistry
        self.events: SqlEventLog
        self.webhooks: SqlWebhooks
        self.corrections: SqlCorrections
        self.communities: SqlCommunities

    def __enter__(self) -> SqlUnitOfWork:
        self.session = self._factory()
        self.registry = SqlRegistry(self.session)
        self.events = SqlEventLog(self.session)
        self.webhooks = SqlWebhooks(self.session)
        self.corrections = SqlCorrections(self.session)
        self.communities = SqlCommunities(self.session)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        assert self.session is not None
        self.session.close()  # rolls back anything uncommitted; loaded objects stay readable
        self.session = None

    def commit(self) -> None:
        assert self.session is not None
        self.session.commit()

    def rollback(self) -> None:
        assert self.session is not None
        self.session.rollback()


def _implements(uow: SqlUnitOfWork) -> UnitOfWork:
    return uow  # mypy checks the adapter against its port
