"""The event log and webhook subscriptions on the relational store (SQLAlchemy 2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from models.ports import DeliveryRecord, Doc, EventLog, EventScope, WebhookRecord, Webhooks
from models.sql.tables import Delivery, Event, Webhook

# PostgreSQL: appends hold this transaction-scoped advisory lock, so positions follow commit
# order (a reader past position p never sees a smaller one appear later). SQLite writers are
# serialized by BEGIN IMMEDIATE already.
APPEND_LOCK = 0x4D47_4556  # "MGEV"
EVENT_FIELDS = ("id", "type", "grid_id", "prosumer_id", "community_id", "occurred_at", "data")
_COLUMNS = (
    Event.position,
    Event.id,
    Event.type,
    Event.grid_id,
    Event.prosumer_id,
    Event.community_id,
    Event.occurred_at,
    Event.data,
)


def _scoped(scope: EventScope, types: Sequence[str]) -> list[ColumnElement[bool]]:
    """WHERE terms: the grid, the prosumer's own events and aggregates, the types."""
    terms: list[ColumnElement[bool]] = []
    if scope.grid_id is not None:
        terms.append(Event.grid_id == scope.grid_id)
    if scope.prosumer_id is not None:
        aggregate = and_(
            Event.prosumer_id.is_(None),
            or_(Event.community_id.is_(None), Event.community_id == scope.community_id),
        )
        terms.append(or_(Event.prosumer_id == scope.prosumer_id, aggregate))
    if types:
        terms.append(Event.type.in_(list(types)))
    return terms


class SqlEventLog:
    """EventLog port in the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def append(self, events: Sequence[Doc]) -> int:
        """Append events not yet in the log (by id) after the newest position; how many."""
        if not events:
            return 0
        session = self._session
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": APPEND_LOCK})
        ids = list(dict.fromkeys(e["id"] for e in events))
        have = set(session.scalars(select(Event.id).where(Event.id.in_(ids))))
        fresh = {e["id"]: e for e in events if e["id"] not in have}
        if not fresh:
            return 0
        top = session.scalar(select(func.max(Event.position))) or 0
        rows = [
            {"position": top + n, **{k: e[k] for k in EVENT_FIELDS}}
            for n, e in enumerate(fresh.values(), start=1)
        ]
        session.execute(insert(Event), rows)
        return len(rows)

    def page(
        self, after: int, scope: EventScope, types: Sequence[str], limit: int
    ) -> list[tuple[int, Doc]]:
        """(position, event) after a position, oldest first, within the scope and types."""
        query = (
            select(*_COLUMNS)
            .where(Event.position > after, *_scoped(scope, types))
            .order_by(Event.position)
            .limit(limit)
        )
        return [
            (row[0], dict(zip(EVENT_FIELDS, row[1:], strict=True))) for row in self._rows(query)
        ]

    def newest(self, scope: EventScope, types: Sequence[str]) -> int:
        """The newest position within the scope and types (0: none)."""
        found = self._session.scalar(select(func.max(Event.position)).where(*_scoped(scope, types)))
        return int(found or 0)

    def _rows(self, query: Any) -> Sequence[Any]:
        return self._session.execute(query).all()


class SqlWebhooks:
    """Webhooks port in the unit of work's session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, **fields: Any) -> WebhookRecord:
        row = Webhook(**fields)
        self._session.add(row)
        self._session.flush()
        return row

    def get(self, webhook_id: str) -> WebhookRecord | None:
        return self._session.get(Webhook, webhook_id)

    def listing(
        self, grid_id: str | None, page: int, size: int
    ) -> tuple[Sequence[WebhookRecord], int]:
        where = [] if grid_id is None else [Webhook.grid_id == grid_id]
        total = self._session.scalar(select(func.count()).select_from(Webhook).where(*where))
        query = select(Webhook).where(*where).order_by(Webhook.created_at, Webhook.id)
        rows = self._session.scalars(query.offset((page - 1) * size).limit(size)).all()
        return rows, int(total or 0)

    def active(self) -> Sequence[WebhookRecord]:
        query = select(Webhook).where(Webhook.active.is_(True)).order_by(Webhook.id)
        if self._session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return self._session.scalars(query).all()

    def delete(self, webhook: WebhookRecord) -> None:
        self._session.execute(delete(Delivery).where(Delivery.webhook_id == webhook.id))
        self._session.delete(webhook)

    def add_deliveries(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            self._session.execute(insert(Delivery), rows)

    def delivery(self, delivery_id: str) -> DeliveryRecord | None:
        return self._session.get(Delivery, delivery_id)

    def deliveries(
        self, webhook_id: str, page: int, size: int
    ) -> tuple[Sequence[DeliveryRecord], int]:
        where = Delivery.webhook_id == webhook_id
        total = self._session.scalar(select(func.count()).select_from(Delivery).where(where))
        query = select(Delivery).where(where).order_by(Delivery.event_position.desc())
        rows = self._session.scalars(query.offset((page - 1) * size).limit(size)).all()
        return rows, int(total or 0)

    def claim_due(self, now: datetime, lease_until: datetime, limit: int) -> list[DeliveryRecord]:
        """Pending deliveries due by `now` and not leased, leased until `lease_until`."""
        query = (
            select(Delivery)
            .where(
                Delivery.status == "pending",
                Delivery.next_attempt_at <= now,
                or_(Delivery.lease_until.is_(None), Delivery.lease_until <= now),
            )
            .order_by(Delivery.next_attempt_at, Delivery.event_position)
            .limit(limit)
        )
        if self._session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        rows: list[DeliveryRecord] = list(self._session.scalars(query).all())
        if rows:
            self._session.execute(
                update(Delivery)
                .where(Delivery.id.in_([r.id for r in rows]))
                .values(lease_until=lease_until),
                execution_options={"synchronize_session": "fetch"},
            )
        return rows

    def record_attempts(self, rows: list[dict[str, Any]]) -> None:
        """Set each delivery's fields (`id` names it; deleted ones are skipped), one statement."""
        if not rows:
            return
        table = Delivery.__table__
        assert isinstance(table, Table)
        fields = [k for k in rows[0] if k != "id"]
        statement = (
            update(table)
            .where(table.c.id == bindparam("delivery_id"))
            .values({f: bindparam(f) for f in fields})
        )
        params = [{"delivery_id": r["id"], **{f: r[f] for f in fields}} for r in rows]
        self._session.connection().execute(statement, params)

    def events_by_position(self, positions: Sequence[int]) -> dict[int, Doc]:
        query = select(*_COLUMNS).where(Event.position.in_(list(positions)))
        return {
            row[0]: dict(zip(EVENT_FIELDS, row[1:], strict=True))
            for row in self._session.execute(query)
        }


def _implements(session: Session) -> tuple[EventLog, Webhooks]:
    return SqlEventLog(session), SqlWebhooks(session)  # mypy checks the adapters
