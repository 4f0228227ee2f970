"""What running allocations have already decided: the spending still to come this year.

Declarations arrive months late; allocations (301) are known when care is decided.
An allocation that is running at the peildatum commits, for the rest of its year:

* its Budget, where the 301 has one, spread evenly over the allocation's validity
  (Ingangsdatum to Einddatum; an allocation without Einddatum is taken to run a
  year from its Ingangsdatum) — the part that falls after the peildatum;
* otherwise its Omvang (volume per day, week or month, or a total for its validity)
  for the days left, at the tariff this provider declared for this product and unit
  in the three months before the peildatum (a 301 carries no tariff). Without such a
  tariff the allocation is counted, not valued.

Running: allocated (a 301 known before the peildatum; its Ingangsdatum may lie
after it), not stopped (307) before it, and its validity not ended before it — all
as known at the peildatum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from monitorbot.store import models
from monitorbot.store.queries.allocations import allocations_known

#: Units per day for each Frequentie (iStandaarden LDT_Frequentie); 6 is "totaal binnen
#: geldigheidsduur toewijzing" and is spread over the validity instead.
PER_DAY: dict[str, float] = {"1": 1.0, "2": 1 / 7, "4": 12 / 365}
TOTAL_FOR_VALIDITY = "6"
#: How far back a provider's declared tariff for a product is looked for.
TARIFF_WINDOW = timedelta(days=92)
#: An allocation without Einddatum is taken to run this long.
OPEN_VALIDITY = timedelta(days=365)


@dataclass(frozen=True)
class RunningAllocation:
    """One allocation as known at the peildatum, with what its latest 301 allocates."""

    perceel: str
    aanbieder: str
    productcode: str | None
    ingang: date
    einde: date | None
    volume: int | None
    eenheid: str | None
    frequentie: str | None
    budget_cents: int | None
    client: str | None = None  # pseudonym, only to count clients; None for an export


@dataclass
class Commitment:
    """Per perceel and provider: cents still committed this year, and by how many."""

    perceel: str
    aanbieder: str
    cents: float = 0.0
    toewijzingen: int = 0
    zonder_tarief: int = 0  # allocations with an Omvang but no declared tariff to value it
    # The clients' pseudonyms, only to count them (and count them once when rows are
    # taken together); they stay in memory and are never reported.
    client_set: frozenset[str] = field(default=frozenset(), repr=False, compare=False)

    @property
    def clienten(self) -> int:
        return len(self.client_set)

    @staticmethod
    def together(perceel: str, aanbieder: str, parts: Iterable[Commitment]) -> Commitment:
        """Several rows as one (e.g. the providers too small to show on their own)."""
        total = Commitment(perceel, aanbieder)
        for part in parts:
            total.cents += part.cents
            total.toewijzingen += part.toewijzingen
            total.zonder_tarief += part.zonder_tarief
            total.client_set |= part.client_set
        return total


def committed_cents(
    allocation: RunningAllocation, tariff_cents: float | None, start: date, year_end: date
) -> float | None:
    """What one allocation commits from `start` through `year_end`; None when it cannot be
    valued (no Budget, and no Omvang or no tariff)."""
    validity_end = allocation.einde or allocation.ingang + OPEN_VALIDITY - timedelta(days=1)
    first, last = max(start, allocation.ingang), min(year_end, validity_end)
    days = (last - first).days + 1
    if days <= 0:
        return 0.0
    validity_days = (validity_end - allocation.ingang).days + 1
    if allocation.budget_cents is not None:
        return allocation.budget_cents * days / validity_days
    if allocation.volume is None or tariff_cents is None:
        return None
    if allocation.frequentie == TOTAL_FOR_VALIDITY:
        units = allocation.volume * days / validity_days
    elif allocation.frequentie in PER_DAY:
        units = allocation.volume * PER_DAY[allocation.frequentie] * days
    else:
        return None
    return units * tariff_cents


def summarize(
    allocations: Iterable[RunningAllocation],
    tariffs: dict[tuple[str, str | None, str | None], float],
    start: date,
    year_end: date,
) -> list[Commitment]:
    """Commitments per (perceel, aanbieder), in that order."""
    by_key: dict[tuple[str, str], Commitment] = {}
    for allocation in allocations:
        key = (allocation.perceel, allocation.aanbieder)
        commitment = by_key.setdefault(key, Commitment(*key))
        commitment.toewijzingen += 1
        if allocation.client is not None:
            commitment.client_set |= {allocation.client}
        tariff = tariffs.get((allocation.aanbieder, allocation.productcode, allocation.eenheid))
        cents = committed_cents(allocation, tariff, start, year_end)
        if cents is None:
            commitment.zonder_tarief += 1
        else:
            commitment.cents += cents
    return [by_key[key] for key in sorted(by_key)]


def running_allocations(
    session: Session, gemeente: str, grens: date, tijdzone: str
) -> list[RunningAllocation]:
    """The allocations running at `grens`, as known before it."""
    known = allocations_known(gemeente, grens, tijdzone)
    rows = session.execute(
        select(
            known.c.perceel_id,
            known.c.aanbieder_agb,
            known.c.productcode,
            known.c.ingang,
            known.c.einde,
            known.c.omvang_volume,
            known.c.omvang_eenheid,
            known.c.omvang_frequentie,
            known.c.budget_cents,
            known.c.client_pseudoniem,
        ).where(
            known.c.ingang.is_not(None),
            known.c.perceel_id.is_not(None),
            or_(known.c.gestopt.is_(None), known.c.gestopt >= grens),
            or_(known.c.einde.is_(None), known.c.einde >= grens),
        )
    ).all()
    return [RunningAllocation(*row) for row in rows]


def declared_tariffs(
    session: Session, gemeente: str, grens: date
) -> dict[tuple[str, str | None, str | None], float]:
    """Cents per unit each provider declared per product and unit in the months before
    `grens` (debit lines as declared; a line a 325 rejected still shows the tariff)."""
    line = models.Declaratieregel
    rows = session.execute(
        select(
            line.aanbieder_agb,
            line.productcode,
            line.eenheid,
            func.sum(line.bedrag_cents),
            func.sum(line.volume),
        )
        .where(
            line.gemeente_code == gemeente,
            and_(line.declaratiedatum >= grens - TARIFF_WINDOW, line.declaratiedatum < grens),
            line.debet_credit == "D",
            line.antwoord_id.is_(None),
            line.volume > 0,
        )
        .group_by(line.aanbieder_agb, line.productcode, line.eenheid)
    ).all()
    return {
        (aanbieder, code, eenheid): float(cents) / float(volume)
        for aanbieder, code, eenheid, cents, volume in rows
        if volume
    }


def commitments(
    session: Session, gemeente: str, grens: date, tijdzone: str, year_end: date
) -> list[Commitment]:
    """What the allocations running at `grens` commit from it through `year_end`."""
    return summarize(
        running_allocations(session, gemeente, grens, tijdzone),
        declared_tariffs(session, gemeente, grens),
        grens,
        year_end,
    )
