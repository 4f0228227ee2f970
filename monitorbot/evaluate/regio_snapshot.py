"""The region's snapshot: its members' figures at one peildatum, side by side and summed.

A region computes no prognosis of its own. Every member figure is the one in that
member's snapshot (rounded to the cent, as its own table shows it), and the
region's figure is the sum of those cents, so the regional table adds up to the
members' tables exactly. Only the region's interval is new: it is combined from
the members' intervals with how strongly the members' costs move together
(`samenhang`), never by adding interval bounds (that would assume they always
move together).

Values only, like `snapshot.Snapshot`: the reports, the digest and the console
read this object; stored as JSON with its evaluation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from monitorbot.core.calendar import Peildatum
from monitorbot.core.states import Niveau


@dataclass(frozen=True)
class Band:
    """A prognosis in whole cents with its 80 % and 95 % bounds."""

    mid: int
    lo80: int
    hi80: int
    lo95: int
    hi95: int

    @classmethod
    def exact(cls, cents: int) -> Band:
        return cls(cents, cents, cents, cents, cents)


@dataclass(frozen=True)
class LidCijfer:
    """One member's line for one row, as its own budget table shows it."""

    gemeente: str
    begroting_cents: int | None
    prognose: Band | None
    bron: str  # "model" or "correctie": a controller's figure has no model interval

    @property
    def restant_cents(self) -> int | None:
        return _restant(self.begroting_cents, self.prognose)

    @property
    def v_n(self) -> str:
        return _v_n(self.restant_cents)

    @property
    def afwijking(self) -> float | None:
        return _afwijking(self.restant_cents, self.begroting_cents)


@dataclass(frozen=True)
class RegioRij:
    """One row of the regional table: a perceel, a domain subtotal or the total."""

    perceel: str
    naam: str
    domein: str
    niveau: Niveau
    leden: tuple[LidCijfer, ...]
    samenhang: float
    """Correlation of the members' monthly cost growth on this row (0–1), which the
    regional interval is combined with."""
    regio: Band | None

    @property
    def begroting_cents(self) -> int | None:
        budgets = [m.begroting_cents for m in self.leden if m.begroting_cents is not None]
        return sum(budgets) if budgets else None

    @property
    def restant_cents(self) -> int | None:
        return _restant(self.begroting_cents, self.regio)

    @property
    def v_n(self) -> str:
        return _v_n(self.restant_cents)

    @property
    def afwijking(self) -> float | None:
        return _afwijking(self.restant_cents, self.begroting_cents)

    def lid(self, gemeente: str) -> LidCijfer | None:
        return next((m for m in self.leden if m.gemeente == gemeente), None)


@dataclass(frozen=True)
class Kengetal:
    """One comparison figure across the members: each member's value (None where it rests
    on fewer than 10 clients, or would let one be worked out, or is unknown), the
    region's own value, and the middle of the members with their middle half."""

    naam: str
    titel: str
    eenheid: str  # how the value reads: "per 1.000 jeugdigen", "€", "uur", "%"
    waarden: tuple[tuple[str, float | None], ...]
    regio: float | None
    mediaan: float | None
    kwartiel_laag: float | None
    kwartiel_hoog: float | None
    afwijkers: tuple[str, ...] = ()  # members that stand out from the others

    def waarde(self, gemeente: str) -> float | None:
        return dict(self.waarden).get(gemeente)


@dataclass(frozen=True)
class LidBron:
    """Which snapshot of a member the region read, or why it has none."""

    gemeente: str
    naam: str
    berekend_op: datetime | None
    momentopname: int | None  # the stored snapshot's id; None: computed for this report
    ontbreekt: str | None = None  # why this member has no figures (no budget, no data)


@dataclass(frozen=True)
class RegioSnapshot:
    regio: str  # the file name: config/regio/<regio>.yaml
    naam: str
    peildatum: Peildatum
    berekend_op: datetime
    tijdzone: str
    leden: tuple[LidBron, ...]
    rijen: tuple[RegioRij, ...]
    kengetallen: tuple[Kengetal, ...] = ()
    kengetallen_periode: str = ""  # "januari t/m oktober 2026"

    @property
    def jaar(self) -> int:
        return self.peildatum.jaar

    @property
    def stem(self) -> str:
        return f"monitorbot-regio-{self.regio}-{self.peildatum.code}"

    def rij(self, perceel: str) -> RegioRij | None:
        return next((r for r in self.rijen if r.perceel == perceel), None)

    def naam_van(self, gemeente: str) -> str:
        return next((m.naam for m in self.leden if m.gemeente == gemeente), gemeente)

    def to_json(self) -> str:
        return _adapter().dump_json(self).decode("utf-8")

    @staticmethod
    def from_json(text: str) -> RegioSnapshot:
        return _adapter().validate_json(text)


def combine(bands: list[Band], samenhang: float) -> Band | None:
    """The region's band from its members': the middle is the sum of their cents; each
    side's half-width is that of a sum of figures whose errors correlate `samenhang`
    pairwise: sqrt((1 − ρ)·Σ wᵢ² + ρ·(Σ wᵢ)²). ρ = 0 adds in quadrature (independent
    members), ρ = 1 adds the widths (members that always move together)."""
    if not bands:
        return None
    rho = min(max(samenhang, 0.0), 1.0)
    mid = sum(b.mid for b in bands)

    def width(side: list[int]) -> int:
        return round(math.sqrt((1 - rho) * sum(w * w for w in side) + rho * sum(side) ** 2))

    return Band(
        mid,
        mid - width([b.mid - b.lo80 for b in bands]),
        mid + width([b.hi80 - b.mid for b in bands]),
        mid - width([b.mid - b.lo95 for b in bands]),
        mid + width([b.hi95 - b.mid for b in bands]),
    )


def _restant(begroting: int | None, prognose: Band | None) -> int | None:
    if prognose is None:
        return None
    return (begroting or 0) - prognose.mid


def _afwijking(restant: int | None, begroting: int | None) -> float | None:
    """restant / begroting, as the council tables define it; None without a budget."""
    return restant / begroting if restant is not None and begroting else None


def _v_n(restant: int | None) -> str:
    if restant is None or restant == 0:
        return ""
    return "V" if restant > 0 else "N"


@cache
def _adapter() -> Any:
    from pydantic import TypeAdapter

    return TypeAdapter(RegioSnapshot)
