"""Sentences people read about an alert, shared by the digest and the HTML report.

One sentence per alert: the number, the comparison, the consequence, in the
words of the municipalities' own reports. Written from the alert's stored
inputs in the snapshot, so the sentence quotes the figure the table shows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from monitorbot.core.calendar import MONTH_NAMES, month_name
from monitorbot.core.money import format_change, format_euros, format_percentage
from monitorbot.evaluate.catalogue import BUDGET_METRICS, format_value
from monitorbot.evaluate.snapshot import AlertLogEntry, Snapshot
from monitorbot.forecast.results import PerceelPrognose


def _k(cents: Any) -> str:
    return format_value("prognose", cents)


def _pct(value: Any) -> str:
    return "-" if value is None else format_change(float(value))


def highlight(alert: AlertLogEntry) -> str:
    """One sentence a manager reads: the number, the comparison, the consequence."""
    inputs = alert.invoer
    if alert.metric in BUDGET_METRICS and inputs.get("begroting_cents"):
        return (
            f"{alert.titel}: prognose {_k(inputs.get('prognose_cents') or 0)} tegen een "
            f"begroting van {_k(inputs['begroting_cents'])} "
            f"({_pct(inputs.get('afwijking_pct'))}, {inputs.get('v_n') or '-'})."
        )
    if inputs.get("budgetindicatie_cents") and inputs.get("prognose_cents"):
        crossing = inputs.get("overschrijding_maand")
        when = (
            f"; overschreden in {month_name(date.fromisoformat(crossing[:10]))}" if crossing else ""
        )
        return (
            f"{alert.titel}: prognose {_k(inputs['prognose_cents'])} tegen een budgetindicatie "
            f"van {_k(inputs['budgetindicatie_cents'])}{when}."
        )
    threshold = format_value(alert.metric, inputs.get("drempel"))
    meaning = str(inputs.get("omschrijving") or alert.regel).rstrip(".")
    return (
        f"{alert.titel}: {format_value(alert.metric, alert.waarde)} "
        f"(drempel {threshold}) — {meaning[:1].lower()}{meaning[1:]}."
    )


def _euros(cents: float) -> str:
    return f"€ {format_euros(round(cents))}"


def grondslag(
    row: PerceelPrognose,
    jaar: int,
    grens: date,
    *,
    amount: Callable[[float], str] = _euros,
    toegewezen_cents: float | None = None,
) -> str | None:
    """Early in the year (most of the figure still forecast): what a year figure rests on,
    in shares of it and the months they cover; None later in the year or for a correction.

    `toegewezen_cents`: what the allocations running at the peildatum commit through the
    year's end (the snapshot's commitments), set beside the forecast for those months.
    """
    basis = row.grondslag
    if basis is None or not basis.vroeg:
        return None
    known = 12 if grens.year > jaar else grens.month - 1
    figure = amount(basis.totaal_cents)
    if known == 0:
        text = (
            f"Vroeg in het jaar: de prognose van {figure} is nog geheel de voorspelling voor "
            f"januari t/m december {jaar}, uit de maanden ervoor en de indexatie van {jaar}."
        )
    else:
        months = "januari" if known == 1 else f"januari t/m {MONTH_NAMES[known - 1]}"
        text = (
            f"Vroeg in het jaar: de prognose van {figure} rust voor "
            f"{format_percentage(basis.aandeel(basis.gedeclareerd_cents))} op wat over {months} "
            f"is gedeclareerd, voor {format_percentage(basis.aandeel(basis.nog_verwacht_cents))} "
            "op nadeclaraties die over die maanden nog worden verwacht en voor "
            f"{format_percentage(basis.aandeel(basis.voorspeld_cents))} op de voorspelling voor "
            f"{MONTH_NAMES[known]} t/m december, uit de maanden ervoor en de indexatie van {jaar}."
        )
    if toegewezen_cents:
        text += (
            f" Lopende toewijzingen leggen voor de rest van {jaar} al "
            f"{amount(toegewezen_cents)} vast; voorspeld voor die maanden: "
            f"{amount(basis.voorspeld_cents)}."
        )
    return text


def toegewezen_cents(snapshot: Snapshot, row: PerceelPrognose) -> float | None:
    """What the running allocations commit for a budget row: its own and its parts'."""
    members = {row.perceel, *row.children}
    found = [v.bedrag_cents for v in snapshot.verplichtingen if v.perceel in members]
    return sum(found) if found else None
