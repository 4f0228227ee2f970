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
    snapshot = models.Momentopname
    newest = (
        select(func.max(snapshot.id))
        .where(snapshot.gemeente_code == gemeente)
        .group_by(snapshot.peildatum, snapshot.soort)
    )
    rows = session.execute(
        select(snapshot.id, snapshot.peildatum, snapshot.soort, snapshot.berekend_op)
        .where(snapshot.id.in_(newest))
        .order_by(snapshot.peildatum.desc(), snapshot.id.desc())
        .limit(limit)
    ).all()
    return [StoredSnapshot(*row) for row in rows]


def snapshot_json(session: Session, gemeente: str, snapshot_id: int) -> str | None:
    """One stored snapshot's content, only if it is this gemeente's."""
    row = session.get(models.Momentopname, snapshot_id)
    return row.inhoud if row is not None and row.gemeente_code == gemeente else None


def stored_regio_snapshots(session: Session, regio: str, limit: int = 24) -> list[StoredSnapshot]:
    """The latest stored regional snapshot per peildatum, newest peildatum first."""
    snapshot = models.RegioMomentopname
    newest = (
        select(func.max(snapshot.id))
        .where(snapshot.regio == regio)
        .group_by(snapshot.peildatum, snapshot.soort)
    )
    rows = session.execute(
        select(snapshot.id, snapshot.peildatum, snapshot.soort, snapshot.berekend_op)
        .where(snapshot.id.in_(newest))
        .order_by(snapshot.peildatum.desc(), snapshot.id.desc())
        .limit(limit)
    ).all()
    return [StoredSnapshot(*row) for row in rows]


def regio_snapshot_json(session: Session, regio: str, snapshot_id: int) -> str | None:
    """One stored regional snapshot's content, only if it is this region's."""
    row = session.get(models.RegioMomentopname, snapshot_id)
    return row.inhoud if row is not None and row.regio == regio else None
