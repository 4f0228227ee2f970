"""What the forecast stage hands on: plain values, no database, no frames.

The evaluation puts these in its snapshot; reports and messages read them from
there. Keeping them apart from the code that computes them (prognosis, why)
means a report or a message builder can never reach back into the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from monitorbot.config.models import PrognoseCorrectie
from monitorbot.core.calendar import Peildatum
from monitorbot.core.money import format_change
from monitorbot.core.states import Niveau

TOP = 10  # "the ten most expensive clients" of the users' reports


@dataclass(frozen=True)
class Interval:
    """A central figure with 80 % and 95 % bounds, in cents (floats, unrounded)."""

    mid: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float

    @classmethod
    def exact(cls, value: float) -> Interval:
        return cls(value, value, value, value, value)

    def __add__(self, other: Interval) -> Interval:
        """Sum of independent uncertain figures: half-widths add in quadrature."""

        def side(a_mid: float, a: float, b_mid: float, b: float) -> float:
            return math.hypot(a - a_mid, b - b_mid)

        mid = self.mid + other.mid
        return Interval(
            mid,
            mid - side(self.mid, self.lo80, other.mid, other.lo80),
            mid + side(self.mid, self.hi80, other.mid, other.hi80),
            mid - side(self.mid, self.lo95, other.mid, other.lo95),
            mid + side(self.mid, self.hi95, other.mid, other.hi95),
        )


#: Early in the year: the forecast for the months still to come is at least this share
#: of the year figure, so a reader needs to know what it rests on.
EARLY_SHARE = 0.5


@dataclass(frozen=True)
class Grondslag:
    """What a year figure rests on: declared so far, still expected for the months past
    (late declarations, from the nowcast), and forecast for the months to come."""

    gedeclareerd_cents: float
    nog_verwacht_cents: float
    voorspeld_cents: float

    @property
    def totaal_cents(self) -> float:
        return self.gedeclareerd_cents + self.nog_verwacht_cents + self.voorspeld_cents

    def aandeel(self, cents: float) -> float:
        return cents / self.totaal_cents if self.totaal_cents else 0.0

    @property
    def vroeg(self) -> bool:
        return self.totaal_cents > 0 and self.aandeel(self.voorspeld_cents) >= EARLY_SHARE


@dataclass
class PerceelPrognose:
    """One row of the budget table."""

    perceel: str
    naam: str
    domein: str
    niveau: Niveau  # onderdeel rolls up into its parent perceel
    begroting_cents: int | None = None
    gedeclareerd_cents: float = 0.0
    verwacht_compleet_cents: float = 0.0
    model: Interval | None = None
    correctie: PrognoseCorrectie | None = None
    modelnaam: str = ""
    children: list[str] = field(default_factory=list)

    @property
    def prognose_cents(self) -> float | None:
        if self.correctie is not None:
            return float(self.correctie.prognose)
        return self.model.mid if self.model else None

    @property
    def bron(self) -> str:
        return "correctie" if self.correctie is not None else "model"

    @property
    def grondslag(self) -> Grondslag | None:
        """The model's figure split by what it rests on; None for a correction (it rests on
        the controller's reason) or without a model."""
        if self.correctie is not None or self.model is None:
            return None
        return Grondslag(
            self.gedeclareerd_cents,
            self.verwacht_compleet_cents - self.gedeclareerd_cents,
            self.model.mid - self.verwacht_compleet_cents,
        )

    @property
    def restant_cents(self) -> float | None:
        """begroting − prognose for every row with a prognosis; a row without a budget
        (a settlement of last year, say) has budget 0, so its whole prognosis is restant.
        A sub-perceel is budgeted in its parent's row: without a budget of its own it
        shows no restant (it is part of the parent's)."""
        prognose = self.prognose_cents
        if prognose is None:
            return None
        if self.begroting_cents is None and self.niveau is Niveau.ONDERDEEL:
            return None
        return (self.begroting_cents or 0) - prognose

    @property
    def v_n(self) -> str:
        restant = self.restant_cents
        if restant is None or round(restant) == 0:
            return ""
        return "V" if restant > 0 else "N"

    @property
    def afwijking(self) -> float | None:
        """restant / begroting, as the council tables define it; None without a budget.

        For an income row (negative budget) the sign is therefore the opposite of
        V/N: less income than budgeted is N with a positive percentage.
        """
        restant = self.restant_cents
        if restant is None or not self.begroting_cents:
            return None
        return restant / self.begroting_cents

    @property
    def has_content(self) -> bool:
        return (
            self.begroting_cents is not None
            or self.prognose_cents is not None
            or self.gedeclareerd_cents != 0
        )


@dataclass
class AanbiederPrognose:
    """A provider's year against its budget indication, and when it is expected to cross."""

    agb: str
    naam: str
    budgetindicatie_cents: int
    gedeclareerd_cents: float
    model: Interval | None
    modelnaam: str
    overschrijding_maand: date | None  # first month the cumulative path exceeds the indication

    @property
    def restant_cents(self) -> float | None:
        return None if self.model is None else self.budgetindicatie_cents - self.model.mid

    @property
    def afwijking(self) -> float | None:
        restant = self.restant_cents
        return None if restant is None else restant / self.budgetindicatie_cents

    def overschrijding(self, peildatum: Peildatum) -> str | None:
        """'overschreden' when the crossing month has data already, else 'verwacht'."""
        if self.overschrijding_maand is None:
            return None
        return "overschreden" if self.overschrijding_maand <= peildatum.peilmaand else "verwacht"


@dataclass(frozen=True)
class MonthFigure:
    """One care month: as declared and as expected when complete, or else the forecast."""

    maand: date
    gedeclareerd_cents: float | None  # None for months after the data
    verwacht_compleet_cents: float | None
    prognose: Interval | None  # only for months after the data


@dataclass(frozen=True)
class MonthlyPrognosis:
    """A perceel's year month by month: the path behind its line in the budget table."""

    perceel: str
    naam: str
    jaar: int
    as_of: date
    maanden: tuple[MonthFigure, ...]
    model: Interval | None  # the model's year figure, as the budget table computes it
    modelnaam: str
    correctie: PrognoseCorrectie | None  # replaces `model` in the budget table


@dataclass
class BudgetReport:
    gemeente: str
    gemeente_naam: str
    jaar: int
    peildatum: Peildatum
    versie: str | None
    rows: list[PerceelPrognose]
    maanden: tuple[MonthlyPrognosis, ...] = ()  # every perceel with data, month by month

    @property
    def as_of(self) -> date:
        """The peildatum's grens: everything dated before it is in the figures."""
        return self.peildatum.grens

    @property
    def body(self) -> list[PerceelPrognose]:
        levels = {Niveau.PERCEEL, Niveau.ONDERDEEL}
        return [r for r in self.rows if r.niveau in levels and r.has_content]

    @property
    def totals(self) -> list[PerceelPrognose]:
        levels = {Niveau.DOMEIN, Niveau.TOTAAL}
        return [r for r in self.rows if r.niveau in levels and r.has_content]

    def months_of(self, perceel: str) -> MonthlyPrognosis | None:
        return next((m for m in self.maanden if m.perceel == perceel), None)


@dataclass(frozen=True)
class ClientFigures:
    """One year's cost in a set of percelen, as aggregates only."""

    jaar: int
    kosten_cents: int
    clienten: int
    top10_cents: int
    boven_grens: int  # clients whose year cost exceeds the high-cost threshold

    @property
    def kosten_per_client(self) -> float:
        return self.kosten_cents / self.clienten if self.clienten else 0.0

    @property
    def top10_aandeel(self) -> float:
        return self.top10_cents / self.kosten_cents if self.kosten_cents else 0.0


@dataclass(frozen=True)
class Decomposition:
    """Growth from year 0 to year 1 and its three parts, as fractions (0.13 = 13 %-punt)."""

    groei: float
    top10: float
    clienten_effect: float
    kosten_per_client_effect: float
    unieke_clienten_groei: float
    kosten_per_client_groei: float
    indexatie: float  # the price rise taken out (0 when including indexation)

    def zin(self) -> str:
        """The sentence a council report uses (Dutch)."""
        pct = _pct
        inclusief = (
            f"exclusief indexatie van {pct(self.indexatie).lstrip('+')}"
            if self.indexatie
            else "inclusief indexatie"
        )
        return (
            f"Kostengroei {pct(self.groei)} ({inclusief}): "
            f"{_pp(self.top10)} door de 10 duurste cliënten, "
            f"{_pp(self.kosten_per_client_effect)} door hogere kosten per cliënt, "
            f"{_pp(self.clienten_effect)} door het aantal cliënten; "
            f"unieke cliënten {pct(self.unieke_clienten_groei)}."
        )


def decompose(
    previous: ClientFigures, current: ClientFigures, *, indexatie: float = 0.0
) -> Decomposition:
    """Split the growth into top-10, clients and cost per client (they add up exactly).

    g = C1/C0 − 1 with C = cost, T = cost of the year's ten most expensive clients,
    R = C − T for the n other clients and r = R/n:
      top-10 contribution        (T1 − T0) / C0
      clients effect             (n1 − n0) · r0 / C0
      cost-per-client effect     n1 · (r1 − r0) / C0

    `indexatie` is the current year's price rise as a fraction (0.064 for 6,4 %);
    the current year's amounts are deflated by it first.
    """
    deflate = 1 + indexatie
    c0, c1 = previous.kosten_cents, current.kosten_cents / deflate
    t0, t1 = previous.top10_cents, current.top10_cents / deflate
    n0 = max(previous.clienten - min(TOP, previous.clienten), 0)
    n1 = max(current.clienten - min(TOP, current.clienten), 0)
    r0 = (c0 - t0) / n0 if n0 else 0.0
    r1 = (c1 - t1) / n1 if n1 else 0.0
    if not c0:
        raise ValueError("geen kosten in het vorige jaar: groei is niet te bepalen")
    return Decomposition(
        groei=c1 / c0 - 1,
        top10=(t1 - t0) / c0,
        clienten_effect=(n1 - n0) * r0 / c0,
        kosten_per_client_effect=n1 * (r1 - r0) / c0,
        unieke_clienten_groei=(
            current.clienten / previous.clienten - 1 if previous.clienten else 0.0
        ),
        kosten_per_client_groei=(
            (current.kosten_per_client / deflate) / previous.kosten_per_client - 1
            if previous.kosten_per_client
            else 0.0
        ),
        indexatie=indexatie,
    )


def _pct(fraction: float) -> str:
    return f"{fraction * 100:+.1f}%".replace(".", ",")


def _pp(fraction: float) -> str:
    return format_change(fraction * 100, unit="%-punt")
