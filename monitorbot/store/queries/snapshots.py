"""Stored snapshots: which peildatums a gemeente (or a region) has, and one snapshot's
content."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitorbot.store import models


@dataclass(frozen=True)
class StoredSnapshot:
    """A stored snapshot's identity, without its content."""

    id: int
    peildatum: Any  # the grens
    soort: str
    berekend_op: Any


def stored_snapshots(session: Session, gemeente: str, limit: int = 24) -> list[StoredSnapshot]:
    """The latest stored snapshot per peildatum, newest peildatum first."""
    table = models.Momentopname
    return _latest_per_peildatum(session, table, table.gemeente_code == gemeente, limit)


def _latest_per_peildatum(
    session: Session, table: Any, owner: Any, limit: int
) -> list[StoredSnapshot]:
    newest = select(func.max(table.id)).where(owner).group_by(table.peildatum, table.soort)
    rows = session.execute(
        select(table.id, table.peildatum, table.soort, table.berekend_op)
        .where(table.id.in_(newest))
        .order_by(table.peildatum.desc(), table.id.desc())
        .limit(limit)
    ).all()
    return [StoredSnapshot(*row) for row in rows]


def snapshot_json(session: Session, gemeente: str, snapshot_id: int) -> str | None:
    """One stored snapshot's content, only if it is this gemeente's."""
    row = session.get(models.Momentopname, snapshot_id)
    return row.inhoud if row is not None and row.gemeente_code == gemeente else None


def stored_regio_snapshots(session: Session, regio: str, limit: int = 24) -> list[StoredSnapshot]:
    """The latest stored regional snapshot per peildatum, newest peildatum first."""
    table = models.RegioMomentopname
    return _latest_per_peildatum(session, table, table.regio == regio, limit)


def regio_snapshot_json(session: Session, regio: str, snapshot_id: int) -> str | None:
    """One stored regional snapshot's content, only if it is this region's."""
    row = session.get(models.RegioMomentopname, snapshot_id)
    return row.inhoud if row is not None and row.regio == regio else None
