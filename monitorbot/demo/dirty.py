"""The deliberately broken declarations a monitor must catch instead of counting.

Real 323s are messy. Each planted defect is a small extra message whose lines a
perfect ingest rejects. Where a real provider would fix and resend (wrong total,
duplicate reference, impossible date, mistyped BSN), the same lines arrive again
one submission later in a clean message, so the care is counted exactly once —
if, and only if, the broken message is refused.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from monitorbot.demo import months
from monitorbot.demo.catalog import AS_OF, ONBEKENDE_GEMEENTE
from monitorbot.demo.declarations import Batch, Row
from monitorbot.demo.identities import break_elfproef
from monitorbot.demo.months import Month

TOTAL_MISMATCH_CENTS = 12_345


@dataclass(frozen=True)
class DirtyPlan:
    kind: str
    agb: str
    care_month: str
    clients: int
    resubmitted: bool


DIRTY_PLANS: tuple[DirtyPlan, ...] = (
    DirtyPlan("totaal_mismatch", "98990103", "2025-05", 2, resubmitted=True),
    DirtyPlan("dubbele_productreferentie", "98990201", "2024-11", 2, resubmitted=True),
    DirtyPlan("onmogelijke_datum", "98990104", "2026-06", 2, resubmitted=True),
    DirtyPlan("bsn_11proef", "98990102", "2025-02", 1, resubmitted=True),
    DirtyPlan("onbekende_ontvanger", "98990202", "2025-09", 1, resubmitted=False),
    DirtyPlan("periode_na_dagtekening", "98990101", "2026-03", 1, resubmitted=False),
)


@dataclass(slots=True)
class PlantedDefect:
    """A broken message, and the clean resubmission that carries its care (if any)."""

    kind: str
    batch: Batch
    resubmission: Batch | None
    detail: dict[str, object]


def _regular_batch(batches: list[Batch], agb: str, care_month: Month) -> Batch:
    """The provider's on-time declaration for the care month: the one to break."""
    candidates = [
        b for b in batches
        if b.provider.agb == agb and b.care_month == care_month and b.dirty_kind is None
        and b.submitted <= AS_OF
    ]
    if not candidates:
        raise LookupError(f"geen declaratie van {agb} voor {months.label(care_month)}")
    return max(candidates, key=lambda b: (len(b.rows), -b.submitted.toordinal()))


def _first_clients(batch: Batch, count: int, credited: set[str]) -> list[Row]:
    """All debit rows of the first `count` clients of a batch whose lines were never credited.

    Moving a line that is credited later could put the credit on the same day
    as the resubmission; clients without corrections keep the story simple.
    """
    untouched = {r.bsn for r in batch.rows if r.debet_credit == "D"}
    untouched -= {r.bsn for r in batch.rows if r.referentie in credited or r.debet_credit == "C"}
    chosen = [bsn for bsn in dict.fromkeys(r.bsn for r in batch.rows) if bsn in untouched]
    return [r for r in batch.rows if r.bsn in chosen[:count]]


def _damage(plan: DirtyPlan, rows: list[Row], new_bsn: str) -> tuple[list[Row], dict[str, object]]:
    """Apply the defect to copies of the rows; say in the detail what was done."""
    if plan.kind == "dubbele_productreferentie":
        return [*rows, rows[0]], {"referentienummer": rows[0].referentie}
    if plan.kind == "onmogelijke_datum":  # the day after the month's last day: 2026-06-31
        care_month = months.month_from_label(plan.care_month)
        impossible = f"{plan.care_month}-{months.days_in(care_month) + 1:02d}"
        return [replace(rows[0], end_text=impossible), *rows[1:]], {"datum": impossible}
    if plan.kind == "bsn_11proef":
        bad = break_elfproef(rows[0].bsn)
        return [replace(r, bsn=bad) for r in rows], {"bsn": bad}
    if plan.kind == "onbekende_ontvanger":
        foreign = [replace(r, bsn=new_bsn, referentie=f"{r.referentie}-X") for r in rows]
        return foreign, {"ontvanger": ONBEKENDE_GEMEENTE}
    return list(rows), {}


def _dirty_date(plan: DirtyPlan, batch: Batch) -> date:
    if plan.kind == "periode_na_dagtekening":
        return months.day_in(batch.care_month - 1, 20)
    return batch.submitted


def plant_defects(
    batches: list[Batch],
    dates: dict[tuple[str, Month], date],
    fresh_bsn: str,
) -> list[PlantedDefect]:
    """Add the broken messages (and resubmissions) to `batches`, in place."""
    credited = {r.referentie for b in batches for r in b.rows if r.debet_credit == "C"}
    planted = []
    for plan in DIRTY_PLANS:
        care_month = months.month_from_label(plan.care_month)
        original = _regular_batch(batches, plan.agb, care_month)
        rows = _first_clients(original, plan.clients, credited)
        damaged, detail = _damage(plan, rows, fresh_bsn)
        dirty = Batch(original.provider, care_month, _dirty_date(plan, original), damaged,
                      dirty_kind=plan.kind)
        if plan.kind == "onbekende_ontvanger":
            dirty.ontvanger = ONBEKENDE_GEMEENTE
        if plan.kind == "totaal_mismatch":
            dirty.total_override = dirty.net_cents + TOTAL_MISMATCH_CENTS
            detail |= {"som_prestaties_cents": dirty.net_cents,
                       "totaal_header_cents": dirty.total_override}
        resubmission = None
        if plan.resubmitted:
            resubmission = _move_to_resubmission(batches, original, rows, dates)
        batches.append(dirty)
        detail |= {
            "aanbieder": plan.agb,
            "zorgmaand": plan.care_month,
            "dagtekening": dirty.submitted.isoformat(),
            "regels": len(damaged),
            "bedrag_cents": dirty.net_cents,
            "verwacht": "afkeuren",
        }
        planted.append(PlantedDefect(plan.kind, dirty, resubmission, detail))
    return planted


def _move_to_resubmission(
    batches: list[Batch], original: Batch, rows: list[Row], dates: dict[tuple[str, Month], date]
) -> Batch:
    """Take the rows out of their batch and send them again with the next submission."""
    taken = {id(r) for r in rows}
    original.rows = [r for r in original.rows if id(r) not in taken]
    next_month = months.month_of(original.submitted) + 1
    resent = [replace(r, submit_month=next_month) for r in rows]
    resubmission = Batch(original.provider, original.care_month,
                         dates[original.provider.agb, next_month], resent)
    if resubmission.submitted > AS_OF:
        raise ValueError("herindiening valt na de peildatum; kies een eerdere zorgmaand")
    batches.append(resubmission)
    return resubmission
