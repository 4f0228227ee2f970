"""What one evaluation decided and saw: the lifecycle's step and the snapshot.

Values only, so message builders read an evaluation without reaching the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from monitorbot.core.calendar import Peildatum
from monitorbot.core.states import AlertStatus
from monitorbot.evaluate.lifecycle import AlertUpdate, Step
from monitorbot.evaluate.snapshot import Snapshot


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of one municipality: every update, and the snapshot behind them."""

    gemeente: str
    peildatum: Peildatum
    now: datetime
    step: Step
    problems: list[str]
    cyclus: date  # the monthly cycle it belongs to: repeats wait for the next one
    snapshot: Snapshot

    @property
    def firing(self) -> list[AlertUpdate]:
        return [u for u in self.step.updates if u.after.status == AlertStatus.FIRING]

    def by_channel(self) -> dict[str, list[AlertUpdate]]:
        """What to send, grouped per channel name: one message per channel per evaluation."""
        groups: dict[str, list[AlertUpdate]] = {}
        for update in self.step.to_send:
            groups.setdefault(update.after.kanaal, []).append(update)
        return groups


@dataclass(frozen=True)
class ReplayMonth:
    """One month of a replay: the evaluation as it would have run then."""

    evaluation: Evaluation

    @property
    def peildatum(self) -> Peildatum:
        return self.evaluation.peildatum
