"""Alerts as stored: each state with the inputs of its latest evaluation.

The evaluation keeps these in its snapshot; `alerts show` and a report made
without an evaluation read them here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitorbot.store import models


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
