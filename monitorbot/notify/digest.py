"""The manager digest: the one table, three highlights, and a line for each thing to watch.

Managers read it in a minute: the budget table for the year of the peildatum,
at most three highlights about three different subjects in one sentence each,
then one line each for the open alerts, the waiting times above norm, the data
quality and the deliveries. A pure function of the evaluation's snapshot, so
every figure is the one the kernteam message, the workbook and the HTML report
show.
"""

from __future__ import annotations

import io

from monitorbot.core.states import Ernst
from monitorbot.evaluate.catalogue import BUDGET_METRICS, BY_NAME, format_value
from monitorbot.evaluate.snapshot import AlertLogEntry, Snapshot
from monitorbot.notify.message import Attachment, Message, Section, Table
from monitorbot.report import budget_table
from monitorbot.report.texts import highlight

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HIGHLIGHTS = 3
WAITS_NAMED = 2  # more providers above norm are counted, not listed


def _distinct_subjects(alerts: list[AlertLogEntry]) -> list[AlertLogEntry]:
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


def _open_line(snapshot: Snapshot) -> str:
    alerts = snapshot.open
    if not alerts:
        return "Geen open signaleringen."
    per = {
        ernst: sum(1 for a in alerts if a.ernst == ernst)
        for ernst in (Ernst.KRITIEK, Ernst.WAARSCHUWING)
    }
    parts = ", ".join(f"{n} {ernst.label}" for ernst, n in per.items() if n)
    discussed = sum(a.bevestigd for a in alerts)
    return f"{len(alerts)} open ({parts}), waarvan {discussed} besproken in het kernteam."


def _waiting_line(snapshot: Snapshot) -> str:
    """Every provider whose median wait is above its norm, alerting or not: one line."""
    above = sorted(
        (w for w in snapshot.wachttijden if w.mediaan_boven_norm),
        key=lambda w: -w.mediaan_dagen,
    )
    if not above:
        return "Geen aanbieder boven de wachttijdnorm."
    named = "; ".join(
        f"{w.aanbieder} — {w.perceel_naam}: mediaan "
        f"{format_value('wachttijd_mediaan_dagen', w.mediaan_dagen)}, norm {w.norm_dagen} dagen"
        for w in above[:WAITS_NAMED]
    )
    more = len(above) - WAITS_NAMED
    return named + (f"; en {more} andere aanbieder(s)." if more > 0 else ".")


def _quality_line(snapshot: Snapshot) -> str:
    quality = snapshot.datakwaliteit
    return (
        f"{quality.geweigerde_bestanden} bestand(en) in quarantaine en {quality.bevindingen} "
        f"bevinding(en) bij het inlezen in de {quality.venster_dagen} dagen tot de peildatum."
    )


def _delivery_line(snapshot: Snapshot) -> str:
    deliveries = snapshot.bezorging
    parts = []
    if deliveries.mislukt:
        detail = "; ".join(f"{f.kanaal} via {f.via}: {f.fout}" for f in deliveries.mislukt)
        parts.append(f"Bezorging mislukt (wordt niet opnieuw geprobeerd): {detail}.")
    if deliveries.wachtend:
        parts.append(f"{deliveries.wachtend} bericht(en) wacht(en) nog op een nieuwe poging.")
    return " ".join(parts) or "Alle berichten in de outbox zijn bezorgd."


def _severity_table(snapshot: Snapshot) -> Table:
    rows = []
    for ernst in (Ernst.KRITIEK, Ernst.WAARSCHUWING):
        of_kind = [a for a in snapshot.open if a.ernst == ernst]
        rows.append([ernst.label, str(len(of_kind)), str(sum(a.bevestigd for a in of_kind))])
    return Table(["ernst", "open", "besproken"], rows, ["l", "r", "r"])


def digest_message(snapshot: Snapshot, *, with_workbook: bool) -> Message:
    """The digest for the snapshot's municipality at its peildatum."""
    report = snapshot.begroting
    ranked = list(snapshot.open)  # in the one order: severity, catalogue (budget first), impact
    header, rows = budget_table.council_rows(report)
    highlights = [highlight(a) for a in _distinct_subjects(ranked)[:HIGHLIGHTS]]
    sections = [
        Section(
            title=f"Begroting en prognose {report.jaar}",
            text=budget_table.title(report),
            table=Table(header, rows, list(budget_table.ALIGN)),
            details=budget_table.footnotes(report),
        ),
        Section(
            title="Opvallend",
            text=" ".join(highlights) or "Geen open signaleringen.",
        ),
        Section(
            title="Open signaleringen",
            text=_open_line(snapshot),
            table=_severity_table(snapshot) if snapshot.open else None,
        ),
        Section(title="Wachttijden boven de norm", text=_waiting_line(snapshot)),
        Section(title="Datakwaliteit", text=_quality_line(snapshot)),
        Section(title="Bezorging", text=_delivery_line(snapshot)),
    ]
    attachments = []
    if with_workbook:
        attachments.append(
            Attachment(
                f"begroting-{snapshot.gemeente}-{report.jaar}.xlsx",
                XLSX,
                _workbook(snapshot),
                f"Begroting en prognose {report.jaar}",
            )
        )
    return Message(
        kind="digest",
        gemeente=snapshot.gemeente,
        title=f"monitorbot {snapshot.gemeente_naam}: overzicht, {snapshot.peildatum.label}",
        summary=(
            f"Begroting, prognose en open signaleringen sociaal domein, "
            f"{snapshot.peildatum.label}. Bedragen × € 1.000."
        ),
        sections=sections,
        attachments=attachments,
        footer="Geen cliëntgegevens in dit bericht. Details: monitorbot report budget.",
    )


def _workbook(snapshot: Snapshot) -> bytes:
    from monitorbot.report.workbook import budget_workbook

    buffer = io.BytesIO()
    report = snapshot.begroting
    budget_workbook(report, sheet_title=f"Begroting {report.jaar}").save(buffer)
    return buffer.getvalue()
