"""Sentences people read about an alert, shared by the digest and the HTML report.

One sentence per alert: the number, the comparison, the consequence, in the
words of the municipalities' own reports. Written from the alert's stored
inputs in the snapshot, so the sentence quotes the figure the table shows.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from monitorbot.core.calendar import month_name
from monitorbot.core.money import format_change
from monitorbot.evaluate.catalogue import BUDGET_METRICS, format_value
from monitorbot.evaluate.snapshot import AlertLogEntry


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
