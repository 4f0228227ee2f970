"""The deliberately broken declarations a monitor must catch.

Real 323s are messy. Two kinds of defect are planted, matching how monitorbot
treats them:
- a message the schema forbids (an impossible date) is rejected whole; the
  provider fixes it and the same lines arrive one submission later in a clean
  message, so the care is counted once — if, and only if, the broken file is
  refused;
- a schema-valid message with a semantic problem (a total that does not add up,
  a ProductReferentie twice, a BSN failing the 11-proef, a care period after the
  declaration date) is the provider's real delivery: its lines are kept and the
  problem is a finding. Its rows are taken out of the provider's regular
  message, so they are counted once (the duplicate reference counts twice, as a
  monitor that keeps the lines would). A message for another municipality
  (Ontvanger 9998) is kept under that code and never counts for Demodorp.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from monitorbot.demo import months
from monitorbot.demo.catalog import ONBEKENDE_GEMEENTE
from monitorbot.demo.declarations import Batch, Row
from monitorbot.demo.identities import break_elfproef
from monitorbot.demo.months import Month
from monitorbot.demo.timeline import DemoCalendar

TOTAL_MISMATCH_CENTS = 12_345


@dataclass(frozen=True)
class DirtyPlan:
    kind: str
    agb: str
    months_back: int
    """The care month, counted back from the last complete month: recent enough to
    be in the data, early enough that a rejected file's resubmission has arrived."""
    clients: int
    rejected: bool
    """True: the file is refused (and resubmitted); False: kept, with a finding."""

    def care_month(self, calendar: DemoCalendar) -> Month:
        return calendar.period_last - self.months_back


# The care months for vandaag 2026-11-10 (last complete month 2026-10) in comments.
DIRTY_PLANS: tuple[DirtyPlan, ...] = (
    DirtyPlan("totaal_mismatch", "98990103", 17, 2, rejected=False),  # 2025-05
    DirtyPlan("dubbele_productreferentie", "98990201", 23, 2, rejected=False),  # 2024-11
    DirtyPlan("onmogelijke_datum", "98990104", 4, 2, rejected=True),  # 2026-06
    DirtyPlan("bsn_11proef", "98990102", 20, 1, rejected=False),  # 2025-02
    DirtyPlan("onbekende_ontvanger", "98990202", 13, 1, rejected=False),  # 2025-09
    DirtyPlan("periode_na_dagtekening", "98990101", 7, 1, rejected=False),  # 2026-03
)

#: Defects whose rows are copies for another municipality, not Demodorp's care.
FOREIGN_KINDS = frozenset({"onbekende_ontvanger"})


@dataclass(slots=True)
class PlantedDefect:
    """A broken message, and the clean resubmission that carries its care (if any)."""

    kind: str
    batch: Batch
    resubmission: Batch | None
    detail: dict[str, object]


def _regular_batch(batches: list[Batch], agb: str, care_month: Month, as_of: date) -> Batch:
    """The provider's on-time declaration for the care month: the one to break."""
    candidates = [
        b
        for b in batches
        if b.provider.agb == agb
        and b.care_month == care_month
        and b.dirty_kind is None
        and b.submitted <= as_of
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


def _damage(
    plan: DirtyPlan, care_month: Month, rows: list[Row], new_bsn: str
) -> tuple[list[Row], dict[str, object]]:
    """Apply the defect to copies of the rows; say in the detail what was done."""
    if plan.kind == "dubbele_productreferentie":
        return [*rows, rows[0]], {
            "referentienummer": rows[0].referentie,
            "dubbel_bedrag_cents": rows[0].signed_amount,
        }
    if plan.kind == "onmogelijke_datum":  # the day after the month's last day: 2026-06-31
        impossible = f"{months.label(care_month)}-{months.days_in(care_month) + 1:02d}"
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
    calendar: DemoCalendar,
) -> list[PlantedDefect]:
    """Add the broken messages (and resubmissions) to `batches`, in place."""
    credited = {r.referentie for b in batches for r in b.rows if r.debet_credit == "C"}
    planted = []
    for plan in DIRTY_PLANS:
        care_month = plan.care_month(calendar)
        original = _regular_batch(batches, plan.agb, care_month, calendar.as_of)
        rows = _first_clients(original, plan.clients, credited)
        damaged, detail = _damage(plan, care_month, rows, fresh_bsn)
        dirty = Batch(
            original.provider,
            care_month,
            _dirty_date(plan, original),
            damaged,
            dirty_kind=plan.kind,
        )
        if plan.kind == "onbekende_ontvanger":
            dirty.ontvanger = ONBEKENDE_GEMEENTE
        if plan.kind == "totaal_mismatch":
            dirty.total_override = dirty.net_cents + TOTAL_MISMATCH_CENTS
            detail |= {
                "som_prestaties_cents": dirty.net_cents,
                "totaal_header_cents": dirty.total_override,
            }
        resubmission = None
        if plan.rejected:
            resubmission = _move_to_resubmission(batches, original, rows, dates, calendar.as_of)
        elif plan.kind not in FOREIGN_KINDS:
            _take_out(original, rows)
        dirty.kept_for_demodorp = not plan.rejected and plan.kind not in FOREIGN_KINDS
        batches.append(dirty)
        detail |= {
            "aanbieder": plan.agb,
            "zorgmaand": months.label(care_month),
            "dagtekening": dirty.submitted.isoformat(),
            "regels": len(damaged),
            "bedrag_cents": dirty.net_cents,
            "verwacht": "afkeuren" if plan.rejected else "bevinding",
        }
        planted.append(PlantedDefect(plan.kind, dirty, resubmission, detail))
    return planted


def _take_out(original: Batch, rows: list[Row]) -> None:
    """The rows travel in the defective message instead of the regular one."""
    taken = {id(r) for r in rows}
    original.rows = [r for r in original.rows if id(r) not in taken]


def _move_to_resubmission(
    batches: list[Batch],
    original: Batch,
    rows: list[Row],
    dates: dict[tuple[str, Month], date],
    as_of: date,
) -> Batch:
    """Take the rows out of their batch and send them again with the next submission."""
    _take_out(original, rows)
    next_month = months.month_of(original.submitted) + 1
    resent = [replace(r, submit_month=next_month) for r in rows]
    resubmission = Batch(
        original.provider, original.care_month, dates[original.provider.agb, next_month], resent
    )
    if resubmission.submitted > as_of:
        raise ValueError("herindiening valt na de peildatum; kies een eerdere zorgmaand")
    batches.append(resubmission)
    return resubmission
