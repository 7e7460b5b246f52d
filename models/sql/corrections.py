"""Corrections of closed timeframes on the relational store (SQLAlchemy 2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.ports import Corrections
from models.sql.tables import Correction


class SqlCorrections:
    """Correction rows inside one unit of work."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, **fields: Any) -> Correction:
        row = Correction(**fields)
        self.session.add(row)
        self.session.flush()
        return row

    def get(self, correction_id: str) -> Correction | None:
        return self.session.get(Correction, correction_id)

    def by_key(self, grid_id: str, key: str) -> Correction | None:
        stmt = select(Correction).where(
            Correction.grid_id == grid_id, Correction.idempotency_key == key
        )
        return self.session.scalar(stmt)

    def of_timeframe(self, grid_id: str, start: datetime) -> Sequence[Correction]:
        stmt = (
            select(Correction)
            .where(Correction.grid_id == grid_id, Correction.timeframe_start == start)
            .order_by(Correction.version)
        )
        return self.session.scalars(stmt).all()

    def unfinished(self, grid_id: str) -> Sequence[Correction]:
        stmt = (
            select(Correction)
            .where(Correction.grid_id == grid_id, Correction.status != "applied")
            .order_by(Correction.timeframe_start, Correction.version)
        )
        return self.session.scalars(stmt).all()

    def applied_ids(self, grid_id: str, ids: Sequence[str]) -> set[str]:
        if not ids:
            return set()
        stmt = select(Correction.id).where(
            Correction.grid_id == grid_id,
            Correction.status == "applied",
            Correction.id.in_(list(ids)),
        )
        return set(self.session.scalars(stmt).all())


def _implements(adapter: SqlCorrections) -> Corrections:
    return adapter  # mypy checks the adapter against its port
