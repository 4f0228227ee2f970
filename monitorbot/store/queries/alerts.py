"""Alerts as stored: each state with the inputs of its latest evaluation.

The evaluation keeps these in its snapshot; `alerts show` and a report made
without an evaluation read them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitorbot.core.states import AlertStatus
from monitorbot.store import models

ACTIVE = (AlertStatus.FIRING, AlertStatus.PENDING)


@dataclass(frozen=True)
class LatestInputs:
    """What an alert's latest stored evaluation measured."""

    metric: str
    waarde: float | None
    invoer: dict[str, Any]


def latest_inputs(session: Session, gemeente: str) -> dict[int, LatestInputs]:
    """Per alert id: its latest evaluation's metric, value and inputs (one query)."""
    evaluation = models.AlertEvaluatie
    latest = (
        select(evaluation.alert_id, func.max(evaluation.id).label("last"))
        .where(evaluation.gemeente_code == gemeente)
        .group_by(evaluation.alert_id)
        .subquery()
    )
    rows = session.execute(
        select(evaluation.alert_id, evaluation.waarde, evaluation.invoer).join(
            latest, latest.c.last == evaluation.id
        )
    ).all()
    return {
        alert_id: LatestInputs(str((invoer or {}).get("metric", "")), waarde, dict(invoer or {}))
        for alert_id, waarde, invoer in rows
    }


def acknowledge(
    session: Session, gemeente: str, alert_id: int, door: str, notitie: str, now: Any
) -> str | None:
    """Mark an active (or pending) alert as discussed: it stays visible but is not repeated.

    None when done; else why not, in Dutch: not this gemeente's, not active, or already
    acknowledged (the first acknowledgement stays, with its author and note).
    """
    row = session.get(models.AlertState, alert_id)
    if row is None or row.gemeente_code != gemeente or row.status not in ACTIVE:
        return f"Signalering #{alert_id} bestaat niet of is niet actief"
    if row.bevestigd_op is not None:
        return f"Signalering #{alert_id} is al bevestigd door {row.bevestigd_door}"
    row.bevestigd_door, row.bevestigd_op, row.bevestiging = door, now, notitie
    return None


def alert_acknowledgements(
    session: Session, gemeente: str
) -> dict[int, tuple[str | None, Any, str | None]]:
    """Per alert id: who acknowledged it, when, and the note, as it stands now."""
    rows = session.execute(
        select(
            models.AlertState.id,
            models.AlertState.bevestigd_door,
            models.AlertState.bevestigd_op,
            models.AlertState.bevestiging,
        ).where(models.AlertState.gemeente_code == gemeente)
    ).all()
    return {row[0]: (row[1], row[2], row[3]) for row in rows}


def evaluation_history(
    session: Session, gemeente: str, known_at: Any, per_alert: int = 6
) -> dict[int, list[tuple[Any, float | None, float | None]]]:
    """Per alert: its latest evaluation per peilmaand as known at `known_at` (peilmaand,
    value, threshold), newest first, at most `per_alert` months."""
    evaluation = models.AlertEvaluatie
    rows = session.execute(
        select(evaluation.alert_id, evaluation.peilmaand, evaluation.waarde, evaluation.drempel)
        .where(evaluation.gemeente_code == gemeente, evaluation.geevalueerd_op <= known_at)
        .order_by(evaluation.alert_id, evaluation.peilmaand.desc(), evaluation.id.desc())
    ).all()
    found: dict[int, list[tuple[Any, float | None, float | None]]] = {}
    for alert_id, peilmaand, waarde, drempel in rows:
        months = found.setdefault(alert_id, [])
        if len(months) < per_alert and (not months or months[-1][0] != peilmaand):
            months.append((peilmaand, waarde, drempel))
    return found
