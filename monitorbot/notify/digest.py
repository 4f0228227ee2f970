"""The manager digest: the one table, three highlights, and what is open.

Managers read it in a minute: the budget table for the current year as known
now, at most three highlights in one sentence each, open alerts by severity
(acknowledged ones stay visible), waiting times above norm, and whether the
data and the deliveries can be trusted this month.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitorbot.evaluate.catalogue import BUDGET_METRICS, BY_NAME, format_value
from monitorbot.evaluate.lifecycle import SEVERITY_ORDER
from monitorbot.evaluate.metrics import MetricContext, measure, shift_months
from monitorbot.forecast.prognosis import build_budget_report
from monitorbot.money import format_change
from monitorbot.notify import budget_table
from monitorbot.notify.alerts import MONTH_NAMES, MessageContext
from monitorbot.notify.message import Attachment, Message, Section, Table
from monitorbot.store import models

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HIGHLIGHTS = 3
WINDOW = timedelta(days=31)


@dataclass(frozen=True)
class OpenAlert:
    """A firing alert with the inputs of its latest evaluation."""

    id: int
    regel: str
    titel: str
    ernst: str | None
    sinds: datetime
    bevestigd: bool
    metric: str
    waarde: float | None
    invoer: dict[str, Any]

    @property
    def impact(self) -> float:
        return abs(float(self.invoer.get("impact_cents") or 0.0))


def open_alerts(session: Session, gemeente: str) -> list[OpenAlert]:
    state, evaluation = models.AlertState, models.AlertEvaluatie
    latest = (
        select(evaluation.alert_id, func.max(evaluation.id).label("last"))
        .where(evaluation.gemeente_code == gemeente)
        .group_by(evaluation.alert_id)
        .subquery()
    )
    rows = session.execute(
        select(state, evaluation)
        .join(latest, latest.c.alert_id == state.id)
        .join(evaluation, evaluation.id == latest.c.last)
        .where(state.gemeente_code == gemeente, state.status == "firing")
    ).all()
    return [
        OpenAlert(
            s.id,
            s.regel,
            s.titel or s.regel,
            s.ernst,
            s.sinds,
            s.bevestigd_op is not None,
            str(e.invoer.get("metric", "")),
            e.waarde,
            dict(e.invoer),
        )
        for s, e in rows
    ]


def highlight(alert: OpenAlert) -> str:
    """One sentence a manager reads: the number, the comparison, the consequence."""
    inputs = alert.invoer
    if alert.metric in BUDGET_METRICS and inputs.get("begroting_cents"):
        k = lambda cents: format_value("prognose", cents)  # noqa: E731
        return (
            f"{alert.titel}: prognose {k(inputs.get('prognose_cents') or 0)} tegen een "
            f"begroting van {k(inputs['begroting_cents'])} "
            f"({_pct(inputs.get('afwijking_pct'))}, {inputs.get('v_n') or '-'})."
        )
    if inputs.get("budgetindicatie_cents") and inputs.get("prognose_cents"):
        k = lambda cents: format_value("prognose", cents)  # noqa: E731
        crossing = inputs.get("overschrijding_maand")
        when = f"; overschreden in {crossing[5:7]}-{crossing[:4]}" if crossing else ""
        return (
            f"{alert.titel}: prognose {k(inputs['prognose_cents'])} tegen een budgetindicatie "
            f"van {k(inputs['budgetindicatie_cents'])}{when}."
        )
    threshold = format_value(alert.metric, inputs.get("drempel"))
    meaning = str(inputs.get("omschrijving") or alert.regel).rstrip(".")
    return (
        f"{alert.titel}: {format_value(alert.metric, alert.waarde)} "
        f"(drempel {threshold}) — {meaning[:1].lower()}{meaning[1:]}."
    )


def _pct(value: Any) -> str:
    return "-" if value is None else format_change(float(value))


def _alerts_table(alerts: list[OpenAlert]) -> Table:
    rows = []
    for ernst in ("kritiek", "waarschuwing"):
        of_kind = [a for a in alerts if a.ernst == ernst]
        rows.append([ernst, str(len(of_kind)), str(sum(a.bevestigd for a in of_kind))])
    return Table(["ernst", "open", "besproken"], rows, ["l", "r", "r"])


def _alert_lines(alerts: list[OpenAlert]) -> list[str]:
    return [
        f"{a.ernst}: {a.titel} — {a.regel}, sinds {a.sinds:%d-%m-%Y}"
        + (" (besproken)" if a.bevestigd else "")
        for a in alerts
    ]


def _distinct_subjects(alerts: list[OpenAlert]) -> list[OpenAlert]:
    """Three highlights about three things: the most important alert of each kind first.

    A perceel's overrun also shows in its domain and the total; one of them is
    enough when a provider or a waiting time also needs attention.
    """
    first, rest, kinds = [], [], set()
    for alert in alerts:
        kind = _kind(alert.metric)
        (rest if kind in kinds else first).append(alert)
        kinds.add(kind)
    return first + rest


def _kind(metric: str) -> str:
    if metric in BUDGET_METRICS:
        return "begroting"
    found = BY_NAME.get(metric)
    return f"{found.soort}:{metric}" if found else metric


def _waiting(ctx: MessageContext, gemeente: str, as_of: date, now: datetime) -> list[str]:
    """Every provider whose median wait is above its norm, alerting or not."""
    metrics = MetricContext(ctx.session, ctx.config, ctx.spec, gemeente, as_of, window_end=now)
    rows = measure(metrics, "wachttijd_mediaan_dagen", "perceel_aanbieder")
    return [
        f"{row.titel}: mediaan {format_value('wachttijd_mediaan_dagen', row.waarde)}, norm "
        f"{row.invoer['norm_dagen']} dagen ({row.invoer['boven_norm']} van "
        f"{row.invoer['gestart']} gestarte cliënten boven de norm)."
        for row in rows
        if row.invoer.get("norm_dagen")
        and row.waarde is not None
        and row.waarde > row.invoer["norm_dagen"]
    ]


def _data_quality(session: Session, gemeente: str, now: datetime) -> str:
    since = now - WINDOW
    rejected = session.scalar(
        select(func.count())
        .select_from(models.Bronbestand)
        .where(
            models.Bronbestand.gemeente_code == gemeente,
            models.Bronbestand.status == "geweigerd",
            models.Bronbestand.ingelezen_op > since,
        )
    )
    findings = session.scalar(
        select(func.count())
        .select_from(models.Bevinding)
        .where(models.Bevinding.gemeente_code == gemeente, models.Bevinding.gevonden_op > since)
    )
    failed = session.execute(
        select(models.Outbox.kanaal, models.Outbox.ontvanger_type, models.Outbox.laatste_fout)
        .where(
            models.Outbox.gemeente_code == gemeente,
            models.Outbox.status == "permanent",
            models.Outbox.aangemaakt_op > since,
        )
        .order_by(models.Outbox.id)
    ).all()
    parts = [
        f"{rejected} bestand(en) in quarantaine en {findings} bevinding(en) bij het inlezen "
        "in de laatste 31 dagen."
    ]
    waiting = session.scalar(
        select(func.count())
        .select_from(models.Outbox)
        .where(
            models.Outbox.gemeente_code == gemeente,
            models.Outbox.status.in_(("mislukt", "bezig")),
        )
    )
    if failed:
        detail = "; ".join(f"{k} via {t.split('#')[0]}: {fout}" for k, t, fout in failed[:5])
        parts.append(f"Bezorging mislukt (wordt niet opnieuw geprobeerd): {detail}.")
    if waiting:
        parts.append(f"{waiting} bericht(en) wacht(en) nog op een nieuwe poging.")
    if not failed and not waiting:
        parts.append("Alle berichten in de outbox zijn bezorgd.")
    return " ".join(parts)


def digest_message(
    ctx: MessageContext, gemeente: str, as_of: date, now: datetime, *, with_workbook: bool
) -> Message:
    """The digest for `gemeente`: the current year as known on `as_of`."""
    peilmaand = shift_months(as_of, -1)
    report = build_budget_report(ctx.session, ctx.config, ctx.spec, gemeente, peilmaand.year, as_of)
    alerts = open_alerts(ctx.session, gemeente)
    ranked = sorted(alerts, key=lambda a: (SEVERITY_ORDER.get(a.ernst or "", 2), -a.impact))
    sections = [
        Section(
            title=f"Begroting en prognose {report.jaar}",
            text=budget_table.title(report),
            table=budget_table.to_message_table(report),
            details=budget_table.footnotes(report),
        ),
        Section(
            title="Opvallend",
            text=" ".join(highlight(a) for a in _distinct_subjects(ranked)[:HIGHLIGHTS])
            or "Geen open signaleringen.",
        ),
        Section(
            title="Open signaleringen",
            text=f"{len(alerts)} open, waarvan {sum(a.bevestigd for a in alerts)} besproken.",
            table=_alerts_table(alerts),
            details=_alert_lines(ranked),
        ),
        Section(
            title="Wachttijden boven de norm",
            text=" ".join(_waiting(ctx, gemeente, as_of, now))
            or "Geen aanbieder boven de wachttijdnorm.",
        ),
        Section(title="Datakwaliteit", text=_data_quality(ctx.session, gemeente, now)),
    ]
    attachments = []
    if with_workbook:
        attachments.append(
            Attachment(
                f"begroting-{gemeente}-{report.jaar}.xlsx",
                XLSX,
                _workbook(report),
                f"Begroting en prognose {report.jaar}",
            )
        )
    naam = ctx.config.gemeente(gemeente).naam
    return Message(
        kind="digest",
        gemeente=gemeente,
        title=(f"monitorbot {naam}: overzicht {MONTH_NAMES[peilmaand.month - 1]} {peilmaand.year}"),
        summary=(
            f"Begroting, prognose en open signaleringen sociaal domein, data tot "
            f"{as_of:%d-%m-%Y}. Bedragen × € 1.000."
        ),
        sections=sections,
        attachments=attachments,
        footer="Geen cliëntgegevens in dit bericht. Details: monitorbot report budget.",
    )


def _workbook(report) -> bytes:  # type: ignore[no-untyped-def]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "begroting.xlsx"
        budget_table.to_xlsx(report, path)
        return path.read_bytes()
