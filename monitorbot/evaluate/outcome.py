"""What one evaluation decided and saw: the lifecycle's step and the snapshot.

Values only, so message builders read an evaluation without reaching the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from monitorbot.core.calendar import Peildatum
from monitorbot.core.states import AlertStatus, Ernst
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


# --------------------------------------------------------------------------- trying a rule

CURRENT, CHANGED = "huidig", "voorstel"  # the two versions of a rule a trial compares


@dataclass(frozen=True)
class Fired:
    """One alert firing in one month of a replay."""

    onderwerp: str
    ernst: Ernst | None
    waarde: str
    nieuw: bool  # a new or more severe alert this month: a message would have gone out


@dataclass(frozen=True)
class TrialMonth:
    peilmaand: date
    huidig: tuple[Fired, ...]
    voorstel: tuple[Fired, ...]


@dataclass(frozen=True)
class FirstAlert:
    """The first month a budget rule fired for a row of a year, and what it rested on."""

    peilmaand: date
    regel: str
    invoer: dict


@dataclass(frozen=True)
class Overrun:
    """A material overrun of a year and, per version of the rule, its first alert."""

    jaar: int
    naam: str
    overschrijding_cents: int
    #: The peildatum of the prognosis the overrun is measured on: the replay's last month
    #: of the year, so it reads as the stored evaluation of that month did; None for a
    #: closed year, whose outcome is the truth.
    stand: Peildatum | None
    eerste: dict[str, FirstAlert | None]

    @property
    def afgesloten(self) -> bool:
        return self.stand is None

    @property
    def soort(self) -> str:
        """'uitkomst', or 'prognose stand eind oktober 2026'."""
        return "uitkomst" if self.stand is None else f"prognose {self.stand.label}"

    def lead_months(self, version: str) -> int | None:
        """Months between the first alert and the year end (None: no alert)."""
        first = self.eerste.get(version)
        return None if first is None else 12 - first.peilmaand.month


@dataclass(frozen=True)
class Trial:
    maanden: tuple[TrialMonth, ...]
    overschrijdingen: tuple[Overrun, ...]
    begrotingsregel: bool  # whether the rule is about the budget (lead times apply)

    def count(self, version: str, *, new_only: bool = False) -> int:
        """Alerts firing summed over the months (or only those that were told)."""
        return sum(
            sum(1 for f in getattr(m, version) if f.nieuw or not new_only) for m in self.maanden
        )
