"""The outbox as people need to know it: what was given up on, what waits for a retry."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitorbot.core.states import OutboxStatus
from monitorbot.store import models


def failed_deliveries(
    session: Session, gemeente: str, *, since: datetime, limit: int = 5
) -> list[tuple[str, str, str]]:
    """(channel, receiver type, error) of rows that failed for good since `since`."""
    outbox = models.Outbox
    rows = session.execute(
        select(outbox.kanaal, outbox.ontvanger_type, outbox.laatste_fout)
        .where(
            outbox.gemeente_code == gemeente,
            outbox.status == OutboxStatus.PERMANENT,
            outbox.aangemaakt_op > since,
        )
        .order_by(outbox.id)
        .limit(limit)
    ).all()
    return [(kanaal, via.split("#")[0], fout or "") for kanaal, via, fout in rows]


def waiting_deliveries(session: Session, gemeente: str) -> int:
    """Rows that failed for now and will be tried again (or are being sent)."""
    outbox = models.Outbox
    return int(
        session.scalar(
            select(func.count())
            .select_from(outbox)
            .where(
                outbox.gemeente_code == gemeente,
                outbox.status.in_((OutboxStatus.MISLUKT, OutboxStatus.BEZIG)),
            )
        )
        or 0
    )
