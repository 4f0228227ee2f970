"""Silences as stored: added, listed and ended from the command line and the console alike."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitorbot.store import models


def add(
    session: Session,
    gemeente: str,
    matchers: dict[str, str],
    door: str,
    reden: str,
    vanaf: datetime,
    tot: datetime,
) -> int:
    """A new silence; its number."""
    row = models.Silence(
        gemeente_code=gemeente, matchers=matchers, door=door, reden=reden, vanaf=vanaf, tot=tot
    )
    session.add(row)
    session.flush()
    return row.id


def end(session: Session, gemeente: str, silence_id: int, now: datetime, door: str) -> str | None:
    """End a silence now, recording who ended it. None when done; else why not (in Dutch)."""
    row = session.get(models.Silence, silence_id)
    if row is None or row.gemeente_code != gemeente:
        return f"Stilte #{silence_id} bestaat niet voor gemeente {gemeente}"
    if row.beeindigd_op is not None:
        return f"Stilte #{silence_id} is al beëindigd door {row.beeindigd_door or 'onbekend'}"
    row.beeindigd_op, row.beeindigd_door = now, door
    return None


def listed(session: Session, gemeente: str) -> list[models.Silence]:
    """A gemeente's silences, newest first."""
    return list(
        session.scalars(
            select(models.Silence)
            .where(models.Silence.gemeente_code == gemeente)
            .order_by(models.Silence.id.desc())
        )
    )
