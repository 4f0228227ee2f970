"""Gather a snapshot: the figures of one municipality at one peildatum, from the database.

The evaluation calls this after measuring its rules (their rows are reused,
not measured again); `monitorbot report ...` calls it without rules. Either
way the snapshot holds the same parts, computed the same way, so a figure in
the workbook is the figure in the kernteam message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from monitorbot.core.calendar import through_month
from monitorbot.core.privacy import redact
from monitorbot.core.states import SEVERITY_ORDER, AlertStatus, Zorgbericht
from monitorbot.evaluate.catalogue import METRIC_ORDER, MIN_CLIENTS
from monitorbot.evaluate.lifecycle import AlertState
from monitorbot.evaluate.metrics import MetricContext, measure
from monitorbot.evaluate.snapshot import (
    AlertLogEntry,
    DataQuality,
    Deliveries,
    FailedDelivery,
    FindingCount,
    Groei,
    Kengetallen,
    QuarantinedFile,
    Snapshot,
    Verplichting,
    WaitingTime,
)
from monitorbot.forecast.commitments import Commitment, commitments
from monitorbot.forecast.why import client_figures, year_on_year
from monitorbot.store.queries import kengetallen, outbox, quality
from monitorbot.store.queries.alerts import LatestInputs

#: What every snapshot measures, whatever the rules ask: the workbook and digest show them.
REPORTED_METRICS = (
    ("wachttijd_mediaan_dagen", "perceel_aanbieder"),
    ("afgewezen_declaraties_pct", "aanbieder"),
)
STATUS_ORDER = {AlertStatus.FIRING: 0, AlertStatus.PENDING: 1, AlertStatus.RESOLVED: 2}


def collect_snapshot(
    ctx: MetricContext, *, now: datetime, alerts: Iterable[AlertLogEntry]
) -> Snapshot:
    """The snapshot of `ctx`'s municipality at its peildatum, with the alerts as they stand."""
    for metric, scope in REPORTED_METRICS:
        measure(ctx, metric, scope)
    since, before = ctx.window_end - quality.WINDOW, ctx.window_end
    return Snapshot(
        gemeente=ctx.gemeente,
        gemeente_naam=ctx.settings.naam,
        peildatum=ctx.peildatum,
        berekend_op=now,
        tijdzone=ctx.config.deployment.tijdzone,
        hoge_kosten_grens_cents=ctx.config.deployment.hoge_kosten_grens,
        begroting=ctx.budget,
        maanden=tuple(m for m in ctx.budget.maanden if m.model is not None),
        aanbieders=tuple(ctx.providers),
        wachttijden=tuple(_waiting_times(ctx)),
        groei=tuple(_growth(ctx)),
        verplichtingen=tuple(_commitments(ctx)),
        kengetallen=_kengetallen(ctx),
        metingen=dict(ctx.measured),
        datakwaliteit=DataQuality(
            venster_dagen=quality.WINDOW.days,
            geweigerde_bestanden=sum(
                not f.hersteld
                for f in quality.rejected_files(
                    ctx.session, ctx.gemeente, before=before, since=since
                )
            ),
            bevindingen=sum(
                r.aantal
                for r in quality.finding_counts(
                    ctx.session, ctx.gemeente, before=before, since=since
                )
            ),
        ),
        bevindingen=tuple(_finding_counts(ctx, before)),
        geweigerd=tuple(_quarantined(ctx, before)),
        signaleringen=tuple(sorted(alerts, key=_alert_order)),
        bezorging=_deliveries(ctx.session, ctx.gemeente, since),
    )


def _waiting_times(ctx: MetricContext) -> Iterable[WaitingTime]:
    """The waiting-time metric per perceel × provider, exactly as the alert rules see it."""
    for row in measure(ctx, "wachttijd_mediaan_dagen", "perceel_aanbieder"):
        figures = row.invoer
        agb = row.labels.get("aanbieder", "")
        yield WaitingTime(
            perceel=row.labels["perceel"],
            perceel_naam=ctx.perceel_naam(row.labels["perceel"]),
            agb=agb,
            aanbieder=ctx.settings.aanbieder_naam(agb) if agb else "onbekend",
            gestart=int(figures["gestart"]),
            mediaan_dagen=float(figures["mediaan_dagen"]),
            p90_dagen=float(figures["p90_dagen"]),
            norm_dagen=figures["norm_dagen"],
            boven_norm=figures["boven_norm"],
        )


def _growth(ctx: MetricContext) -> Iterable[Groei]:
    """Per ZIN perceel: this year and last over the same care months, same vintage.

    Left out below MIN_CLIENTS clients in either year: with few clients a top-10
    share or a high-cost count points at a family.
    """
    for perceel in ctx.top_level:
        if perceel.soort != "zin":
            continue
        previous, current = year_on_year(
            ctx.session,
            ctx.gemeente,
            ctx.members(perceel),
            ctx.year,
            ctx.as_of,
            high_cost_cents=ctx.config.deployment.hoge_kosten_grens,
        )
        if not previous.kosten_cents or not current.kosten_cents:
            continue
        if min(previous.clienten, current.clienten) < MIN_CLIENTS:
            continue
        yield Groei(
            perceel=perceel.id,
            naam=perceel.naam,
            tot_maand=through_month(ctx.as_of, ctx.year),
            vorig=previous,
            huidig=current,
            indexatie_pct=ctx.settings.indexatie_pct(ctx.year, perceel.id),
        )


def _kengetallen(ctx: MetricContext) -> Kengetallen:
    """The year so far in the counts a region compares its members on, as known now."""
    through = through_month(ctx.as_of, ctx.year)
    first, last = date(ctx.year, 1, 1), date(ctx.year, through, 1)
    youth = [
        member
        for perceel in ctx.top_level
        if perceel.domein == "jeugd" and perceel.soort == "zin"
        for member in ctx.members(perceel)
    ]
    jeugd = client_figures(
        ctx.session,
        ctx.gemeente,
        youth,
        ctx.year,
        high_cost_cents=ctx.config.deployment.hoge_kosten_grens,
        known_before=ctx.as_of,
        through_month=through,
    )
    hours, hh_clients = kengetallen.household_help(
        ctx.session, ctx.gemeente, first, last, known_before=ctx.as_of
    )
    messages = {
        bericht: kengetallen.care_messages(
            ctx.session, ctx.gemeente, bericht, first, known_before=ctx.as_of
        )
        for bericht in (Zorgbericht.VERZOEK, Zorgbericht.TOEWIJZING)
    }
    return Kengetallen(
        jaar=ctx.year,
        tot_maand=through,
        jeugd_clienten=jeugd.clienten,
        jeugd_kosten_cents=jeugd.kosten_cents,
        hh_clienten=hh_clients,
        hh_uren=round(hours, 2),
        hulpvragen=messages[Zorgbericht.VERZOEK],
        toewijzingen=messages[Zorgbericht.TOEWIJZING],
    )


def _commitments(ctx: MetricContext) -> Iterable[Verplichting]:
    """Per perceel (in config order) and provider (largest first): what the allocations
    running at the peildatum commit through the end of the peildatum's year."""
    found = commitments(
        ctx.session, ctx.gemeente, ctx.as_of, ctx.config.deployment.tijdzone, date(ctx.year, 12, 31)
    )
    for perceel in ctx.config.percelen.percelen:
        folded = fold_small_providers([c for c in found if c.perceel == perceel.id])
        if folded is None:
            continue
        shown, together = folded
        for row in shown:
            yield _verplichting(
                perceel.naam, row, row.aanbieder, ctx.settings.aanbieder_naam(row.aanbieder)
            )
        if together is not None:
            naam = f"overige aanbieders (elk minder dan {MIN_CLIENTS} cliënten)"
            yield _verplichting(perceel.naam, together, None, naam)


def _verplichting(
    perceel_naam: str, row: Commitment, agb: str | None, aanbieder: str
) -> Verplichting:
    return Verplichting(
        perceel=row.perceel,
        perceel_naam=perceel_naam,
        agb=agb,
        aanbieder=aanbieder,
        toewijzingen=row.toewijzingen,
        clienten=row.clienten,
        bedrag_cents=row.cents,
        zonder_tarief=row.zonder_tarief,
    )


def fold_small_providers(
    rows: Sequence[Commitment],
) -> tuple[list[Commitment], Commitment | None] | None:
    """One perceel's providers as shown (largest amount first) and the rest taken together.

    A provider with fewer than MIN_CLIENTS clients is not shown on its own; neither
    may the providers taken together be about fewer (the perceel's total minus the
    rows shown would give them away), so the smallest shown providers join them until
    they are not. None when the perceel has fewer than MIN_CLIENTS clients in all.
    Clients are counted once across providers (by pseudonym, in memory only).
    """
    if not rows:
        return None
    shown = [r for r in rows if r.clienten >= MIN_CLIENTS]
    small = [r for r in rows if r.clienten < MIN_CLIENTS]

    def together() -> Commitment:
        return Commitment.together(rows[0].perceel, "", small)

    while small and shown and together().clienten < MIN_CLIENTS:
        smallest = min(shown, key=lambda r: (r.clienten, r.cents, r.aanbieder))
        shown.remove(smallest)
        small.append(smallest)
    if small and together().clienten < MIN_CLIENTS:
        return None
    shown.sort(key=lambda r: (-r.cents, r.aanbieder))
    return shown, (together() if small else None)


def _finding_counts(ctx: MetricContext, before: datetime) -> Iterable[FindingCount]:
    """Findings counted per kind and provider; never their raw values or descriptions."""
    for row in quality.finding_counts(ctx.session, ctx.gemeente, before=before):
        yield FindingCount(
            soort=row.soort,
            agb=row.agb,
            aanbieder=ctx.settings.aanbieder_naam(row.agb) if row.agb else "onbekend",
            aantal=row.aantal,
            bedrag_cents=row.bedrag_cents,
            eerst=row.eerst,
            laatst=row.laatst,
        )


def _quarantined(ctx: MetricContext, before: datetime) -> Iterable[QuarantinedFile]:
    """Rejected files with the reason; the reason is already free of personal data at
    ingestion, and nine-digit runs are hidden once more here (defence in depth)."""
    for file in quality.rejected_files(ctx.session, ctx.gemeente, before=before):
        prefix = f"{file.naam}, "
        reason = file.reden[len(prefix) :] if file.reden.startswith(prefix) else file.reden
        yield QuarantinedFile(
            bestand=redact(file.bestand),
            soort=file.soort,
            ingelezen_op=file.ingelezen_op,
            reden=redact(reason),
        )


def _deliveries(session: Session, gemeente: str, since: datetime) -> Deliveries:
    return Deliveries(
        mislukt=tuple(
            FailedDelivery(kanaal, via, fout)
            for kanaal, via, fout in outbox.failed_deliveries(session, gemeente, since=since)
        ),
        wachtend=outbox.waiting_deliveries(session, gemeente),
    )


def alert_entries(
    states: Iterable[AlertState],
    observed: dict[str, tuple[str, float | None, dict]],
    stored: dict[int, LatestInputs],
) -> list[AlertLogEntry]:
    """Every alert that holds or held, with the inputs of its latest observation.

    `observed` has this evaluation's observations by fingerprint; an alert whose
    rule was not evaluated keeps the inputs of its latest stored evaluation.
    """
    entries = []
    for state in states:
        if state.status == AlertStatus.INACTIEF:
            continue
        if state.fingerprint in observed:
            metric, waarde, invoer = observed[state.fingerprint]
        elif state.id is not None and state.id in stored:
            latest = stored[state.id]
            metric, waarde, invoer = latest.metric, latest.waarde, latest.invoer
        else:
            metric, waarde, invoer = "", None, {}
        entries.append(
            AlertLogEntry(
                id=state.id,
                regel=state.regel,
                titel=state.titel or state.regel,
                status=state.status,
                ernst=state.ernst,
                sinds=state.sinds,
                bevestigd_door=state.bevestigd_door,
                bevestigd_op=state.bevestigd_op,
                metric=metric,
                waarde=waarde,
                invoer=invoer,
                opgelost_op=state.opgelost_op,
            )
        )
    return entries


def _alert_order(entry: AlertLogEntry) -> tuple:
    """Active first, most severe first, then the catalogue's order (the budget first) and the
    largest impact: how every list and the kernteam message order them."""
    return (
        STATUS_ORDER.get(entry.status, 3),
        SEVERITY_ORDER.get(entry.ernst or "", 2),
        METRIC_ORDER.get(entry.metric, len(METRIC_ORDER)),
        -entry.impact,
        entry.regel,
        entry.titel,
    )
