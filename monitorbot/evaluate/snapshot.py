"""The snapshot: every figure of one municipality at one peildatum, computed once.

An evaluation measures the data as known at its peildatum and keeps what it
found here: the budget table with each perceel's months, the providers, the
waiting times, the growth figures behind the why, every metric row the rules
compared, the data quality, and the alerts as they stood after the evaluation.
The kernteam message, the manager digest, the controller workbook, the HTML
report and the console read this one object, so a figure reads the same in all
of them; none of them queries or forecasts on its own.

This module holds values only (no database, no frames), so reports and message
builders can depend on it without reaching the data. The snapshot is stored
with its evaluation as JSON (`to_json`/`from_json`) and room is left for what
comes next (forecast sample paths, granted and rejected cost):
new fields get defaults, so older stored snapshots still read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache
from typing import Any

from monitorbot.core.calendar import Peildatum, month_name
from monitorbot.core.states import AlertStatus, Bevindingsoort, Ernst
from monitorbot.forecast.results import (
    AanbiederPrognose,
    BudgetReport,
    ClientFigures,
    MonthlyPrognosis,
    PerceelPrognose,
)


@dataclass(frozen=True)
class Measurement:
    """One row of one metric: what a rule compares, and what explains it."""

    labels: dict[str, str]
    titel: str  # what the row is about, for people: a perceel's or provider's name
    waarde: float | None
    referenties: dict[str, Any] = field(default_factory=dict)
    impact_cents: float | None = None
    invoer: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class WaitingTime:
    """Waiting time of one provider on one perceel over the 12 months before the peildatum."""

    perceel: str
    perceel_naam: str
    agb: str
    aanbieder: str
    gestart: int
    mediaan_dagen: float
    p90_dagen: float
    norm_dagen: int | None
    boven_norm: int | None

    @property
    def mediaan_boven_norm(self) -> bool:
        return self.norm_dagen is not None and self.mediaan_dagen > self.norm_dagen

    @property
    def p90_boven_norm(self) -> bool:
        return self.norm_dagen is not None and self.p90_dagen > self.norm_dagen


@dataclass(frozen=True)
class Groei:
    """Why a perceel's cost moves: this year and last over the same care months."""

    perceel: str
    naam: str
    tot_maand: int  # January up to this care month, in both years
    vorig: ClientFigures
    huidig: ClientFigures
    indexatie_pct: float  # this year's price rise (actual, else budgeted)

    @property
    def periode(self) -> str:
        """'januari t/m oktober'."""
        return f"januari t/m {month_name(date(2000, self.tot_maand, 1)).split()[0]}"


@dataclass(frozen=True)
class Verplichting:
    """What the allocations running at the peildatum commit from it to the end of the year,
    for one perceel and provider: spending already decided, before any declaration.

    Providers with fewer than 10 clients on a perceel are taken together (`agb` None),
    with more where needed so that no row and no difference of rows is about fewer
    than 10 clients; a perceel with fewer than 10 in all is left out.
    """

    perceel: str
    perceel_naam: str
    agb: str | None
    aanbieder: str
    toewijzingen: int
    clienten: int
    bedrag_cents: float
    zonder_tarief: int  # allocations with an Omvang this provider declared no tariff for

    @property
    def samengenomen(self) -> bool:
        return self.agb is None


@dataclass(frozen=True)
class Kengetallen:
    """The year so far (January up to `tot_maand`, as known at the peildatum) in counts a
    region compares its members on, per 1.000 inhabitants or youths. Counts only: the
    region suppresses what rests on fewer than 10 clients."""

    jaar: int
    tot_maand: int
    jeugd_clienten: int  # unique clients with youth care in natura
    jeugd_kosten_cents: int
    hh_clienten: int  # household help (iWmo category 01)
    hh_uren: float
    hulpvragen: int  # requests for an allocation (315)
    toewijzingen: int  # allocations (301)


@dataclass(frozen=True)
class FindingCount:
    """Data-quality findings of one kind for one provider: counts and amounts only."""

    soort: str
    agb: str | None
    aanbieder: str
    aantal: int
    bedrag_cents: int
    eerst: datetime
    laatst: datetime

    @property
    def betekenis(self) -> str:
        return Bevindingsoort.label_of(self.soort)


@dataclass(frozen=True)
class QuarantinedFile:
    bestand: str
    soort: str
    ingelezen_op: datetime
    reden: str


@dataclass(frozen=True)
class AlertLogEntry:
    """One alert as it stood after the evaluation, with the inputs of its latest observation."""

    id: int | None
    regel: str
    titel: str
    status: AlertStatus
    ernst: Ernst | None
    sinds: datetime | None
    bevestigd_door: str | None
    bevestigd_op: datetime | None
    metric: str
    waarde: float | None
    invoer: dict[str, Any] = field(default_factory=dict)
    opgelost_op: datetime | None = None  # when a resolved alert stopped holding

    @property
    def bevestigd(self) -> bool:
        return self.bevestigd_op is not None

    @property
    def impact(self) -> float:
        return abs(float(self.invoer.get("impact_cents") or 0.0))


@dataclass(frozen=True)
class DataQuality:
    """What arrived wrong in the month before the peildatum (the digest's one line)."""

    venster_dagen: int
    geweigerde_bestanden: int
    bevindingen: int


@dataclass(frozen=True)
class FailedDelivery:
    kanaal: str
    via: str
    fout: str


@dataclass(frozen=True)
class Deliveries:
    """The outbox when the snapshot was taken: given up on, and waiting for a retry."""

    mislukt: tuple[FailedDelivery, ...] = ()
    wachtend: int = 0


@dataclass(frozen=True)
class Snapshot:
    gemeente: str
    gemeente_naam: str
    peildatum: Peildatum
    berekend_op: datetime
    tijdzone: str
    hoge_kosten_grens_cents: int
    begroting: BudgetReport
    maanden: tuple[MonthlyPrognosis, ...] = ()
    aanbieders: tuple[AanbiederPrognose, ...] = ()
    wachttijden: tuple[WaitingTime, ...] = ()
    groei: tuple[Groei, ...] = ()
    verplichtingen: tuple[Verplichting, ...] = ()
    kengetallen: Kengetallen | None = None
    metingen: dict[str, tuple[Measurement, ...]] = field(default_factory=dict)
    datakwaliteit: DataQuality = DataQuality(31, 0, 0)
    bevindingen: tuple[FindingCount, ...] = ()
    geweigerd: tuple[QuarantinedFile, ...] = ()
    signaleringen: tuple[AlertLogEntry, ...] = ()
    bezorging: Deliveries = Deliveries()

    @property
    def jaar(self) -> int:
        return self.peildatum.jaar

    @property
    def stem(self) -> str:
        """File name without suffix: `monitorbot-9999-2026-11-10` or `monitorbot-9999-2026-10`."""
        return f"monitorbot-{self.gemeente}-{self.peildatum.code}"

    def budget_row(self, perceel: str) -> PerceelPrognose | None:
        return next((r for r in self.begroting.rows if r.perceel == perceel), None)

    def months_of(self, perceel: str) -> MonthlyPrognosis | None:
        return next((m for m in self.maanden if m.perceel == perceel), None)

    def groei_of(self, perceel: str) -> Groei | None:
        return next((g for g in self.groei if g.perceel == perceel), None)

    def meting(self, metric: str, scope: str) -> tuple[Measurement, ...]:
        return self.metingen.get(metric_key(metric, scope), ())

    @property
    def open(self) -> tuple[AlertLogEntry, ...]:
        """Firing alerts, acknowledged ones included (they stay visible)."""
        return tuple(a for a in self.signaleringen if a.status == AlertStatus.FIRING)

    def to_json(self) -> str:
        return _adapter().dump_json(self).decode("utf-8")

    @staticmethod
    def from_json(text: str) -> Snapshot:
        return _adapter().validate_json(text)


def metric_key(metric: str, scope: str) -> str:
    return f"{metric}/{scope}"


@cache
def _adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(Snapshot)
