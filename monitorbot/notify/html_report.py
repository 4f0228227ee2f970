"""The one-page report for the kernteam meeting: one HTML file that works offline.

Put on the screen in a meeting room or printed on A4, it must open without a
network, a server or a login: the style sheet is inline and the charts are
embedded as PNG data URIs, so there is nothing external to fetch. It shows the
same figures as the controller workbook (both are written from one
`ControllerReport`): the budget table × € 1.000 in Dutch format with V/N
coloured, each perceel's trend chart, the providers against their budget
indication, waiting times above norm, the data quality and the open alerts.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path

from monitorbot.money import format_euros, format_percentage
from monitorbot.notify import budget_table
from monitorbot.notify.alerts import MONTH_NAMES
from monitorbot.notify.chart import trend_chart
from monitorbot.notify.digest import highlight
from monitorbot.notify.workbook import ControllerReport, WaitingTime, crossing_text

STYLE = """
* { box-sizing: border-box; }
body { font-family: "Segoe UI", Helvetica, Arial, sans-serif; color: #101828; margin: 0;
  padding: 24px; background: #fff; font-size: 14px; line-height: 1.4; }
main { max-width: 1100px; margin: 0 auto; }
h1 { font-size: 22px; margin: 0 0 4px 0; }
h2 { font-size: 17px; margin: 28px 0 6px 0; border-bottom: 2px solid #d0d5dd;
  padding-bottom: 3px; }
p.lead { margin: 0; color: #344054; font-size: 15px; }
p.note, ul.note { color: #475467; font-size: 12.5px; margin: 6px 0; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { padding: 4px 10px; border-bottom: 1px solid #eaecf0; text-align: left;
  vertical-align: top; }
th { background: #f2f4f7; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.mid, th.mid { text-align: center; white-space: nowrap; }
tr.sub td:first-child { padding-left: 26px; color: #344054; }
tr.total td { font-weight: 700; background: #f9fafb; border-top: 1px solid #98a2b3; }
tr td.vn-N, tr td.bad { background: #f8d7da; color: #9c0006; font-weight: 700; }
tr td.vn-V { background: #d4edda; color: #1e6b30; font-weight: 700; }
tr td.warn { background: #fce5cd; color: #7a4100; font-weight: 700; }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(480px, 1fr));
  gap: 12px; }
figure { margin: 0; border: 1px solid #eaecf0; padding: 4px; }
figure img { width: 100%; height: auto; display: block; }
footer { margin-top: 28px; color: #667085; font-size: 12px; }
@page { size: A4; margin: 14mm 12mm; }
@media print {
  body { padding: 0; font-size: 9.5pt; }
  main { max-width: none; }
  /* A heading stays with its table: a section moves to the next page whole, unless it
     is longer than a page; the charts start on a page of their own. */
  section { break-inside: avoid; }
  section#verloop { break-before: page; break-inside: auto; }
  h2 { break-after: avoid; }
  tr, figure { break-inside: avoid; }
  thead { display: table-header-group; }
  th, td { padding: 2px 6px; }
  .charts { grid-template-columns: 1fr 1fr; gap: 6px; }
  * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
}
"""


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)


def _k(cents: float | None) -> str:
    return "" if cents is None else format_euros(round(cents), thousands=True)


def _table(
    columns: Sequence[str],
    rows: Iterable[tuple[str, Sequence[tuple[str, str]]]],
    align: str,
) -> str:
    """A table; each row is (row class, [(cell class, text)]); `align` is l/r/c per column."""
    classes = {"l": "", "r": "num", "c": "mid"}
    head = "".join(
        f'<th class="{classes[a]}">{_e(c)}</th>' for c, a in zip(columns, align, strict=True)
    )
    body = []
    for row_class, cells in rows:
        tds = "".join(
            f'<td class="{" ".join(filter(None, (classes[a], extra)))}">{_e(text)}</td>'
            for (extra, text), a in zip(cells, align, strict=True)
        )
        body.append(f'<tr class="{row_class}">{tds}</tr>')
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# --------------------------------------------------------------------------- sections


def _budget_section(report: ControllerReport) -> str:
    budget = report.budget
    message_table = budget_table.to_message_table(budget)
    level_class = {"onderdeel": "sub", "domein": "total", "totaal": "total"}
    rows = []
    for row, cells in zip([*budget.body, *budget.totals], message_table.rows, strict=True):
        styled = [("", text) for text in cells]
        styled[4] = (f"vn-{row.v_n}" if row.v_n else "", cells[4])
        rows.append((level_class.get(row.niveau, ""), styled))
    notes = budget_table.footnotes(budget)
    footnotes = (
        '<ul class="note">' + "".join(f"<li>{_e(n)}</li>" for n in notes) + "</ul>" if notes else ""
    )
    return (
        f"<h2>Begroting en prognose {budget.jaar}</h2>"
        f'<p class="note">{_e(budget_table.title(budget))}. Prognose = gedeclareerd, '
        "aangevuld met de nog verwachte nadeclaraties, plus de prognose voor de rest van het "
        "jaar. V = voordeel (geld over), N = nadeel.</p>"
        + _table(message_table.columns, rows, "".join(message_table.align))
        + footnotes
    )


def _charts_section(report: ControllerReport) -> str:
    figures = []
    for months in report.months:
        row = report.budget_row(months.perceel)
        png = trend_chart(months, row.begroting_cents if row else None)
        data = base64.b64encode(png).decode("ascii")
        figures.append(
            f'<figure><img src="data:image/png;base64,{data}" '
            f'alt="{_e(f"Verloop {months.naam} {months.jaar}")}"></figure>'
        )
    if not figures:
        return ""
    return (
        "<h2>Verloop per perceel</h2>"
        '<p class="note">Cumulatief over het jaar: gedeclareerd (grijs), verwacht compleet '
        "(blauw), de prognose met 80%- en 95%-interval, en de begroting (rode stippellijn). "
        "Bedragen × € 1.000.</p>"
        f'<div class="charts">{"".join(figures)}</div>'
    )


def _providers_section(report: ControllerReport) -> str:
    jaar, as_of = report.budget.jaar, report.budget.as_of
    if not report.providers:
        return (
            f"<h2>Aanbieders met een budgetindicatie</h2>"
            f'<p class="note">Geen budgetindicaties voor {jaar} in de configuratie.</p>'
        )
    rows = []
    for p in report.providers:
        model = p.model
        interval = f"{_k(model.lo80)} – {_k(model.hi80)}" if model else ""
        state = crossing_text(p, as_of)
        crossing = (
            f"{state} in {MONTH_NAMES[p.overschrijding_maand.month - 1]}"
            if state and p.overschrijding_maand
            else ""
        )
        restant_class = "bad" if (p.restant_cents or 0) < 0 else ""
        rows.append(
            (
                "",
                [
                    ("", p.naam),
                    ("", _k(p.budgetindicatie_cents)),
                    ("", _k(model.mid if model else None)),
                    ("", interval),
                    (restant_class, _k(p.restant_cents)),
                    ("", format_percentage(p.afwijking)),
                    ("bad" if state == "overschreden" else "warn" if state else "", crossing),
                ],
            )
        )
    columns = [
        "aanbieder",
        f"budgetindicatie {jaar}",
        f"prognose {jaar}",
        "80%-interval",
        "restant",
        "afwijking",
        "overschrijding",
    ]
    return (
        "<h2>Aanbieders met een budgetindicatie</h2>"
        f'<p class="note">Prognose per aanbieder tegen de budgetindicatie {jaar}, '
        "en de maand waarin de indicatie (naar verwachting) wordt overschreden. "
        "Bedragen × € 1.000.</p>" + _table(columns, rows, "lrrrrrl")
    )


def _waits_section(report: ControllerReport) -> str:
    above = [w for w in report.waits if w.mediaan_boven_norm or w.p90_boven_norm]
    above.sort(key=lambda w: (not w.mediaan_boven_norm, -w.mediaan_dagen))
    intro = (
        "<h2>Wachttijden boven de norm</h2>"
        '<p class="note">Dagen van toewijzing tot start van de zorg, over de zorg die in de '
        "12 maanden voor de peildatum startte. Rood: de mediaan ligt boven de norm; oranje: "
        "alleen de langste 10% wacht langer dan de norm.</p>"
    )
    if not above:
        return intro + '<p class="note">Geen aanbieder boven de wachttijdnorm.</p>'
    columns = ["aanbieder", "perceel", "gestart", "mediaan", "90e perc.", "norm", "boven norm"]
    return intro + _table(columns, (("", _wait_cells(w)) for w in above), "llrrrrr")


def _days(value: float) -> str:
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
    return f"{text} d"


def _wait_cells(wait: WaitingTime) -> list[tuple[str, str]]:
    share = f" ({wait.boven_norm / wait.gestart:.0%})" if wait.boven_norm is not None else ""
    return [
        ("", wait.aanbieder),
        ("", wait.perceel_naam),
        ("", str(wait.gestart)),
        ("bad" if wait.mediaan_boven_norm else "", _days(wait.mediaan_dagen)),
        ("warn" if wait.p90_boven_norm else "", _days(wait.p90_dagen)),
        ("", _days(wait.norm_dagen) if wait.norm_dagen is not None else "-"),
        ("", f"{wait.boven_norm}{share}" if wait.boven_norm is not None else "-"),
    ]


def _quality_section(report: ControllerReport) -> str:
    per_kind: dict[str, list[int]] = {}
    for finding in report.findings:
        totals = per_kind.setdefault(finding.soort, [0, 0])
        totals[0] += finding.aantal
        totals[1] += finding.bedrag_cents
    labels = {f.soort: f.betekenis for f in report.findings}
    count = sum(n for n, _ in per_kind.values())
    text = (
        f"{count} bevinding(en) bij het inlezen (de regels zijn bewaard) en "
        f"{len(report.quarantined)} bestand(en) in quarantaine (niet ingelezen)."
    )
    parts = ["<h2>Datakwaliteit</h2>", f"<p>{_e(text)}</p>"]
    if per_kind:
        rows = [
            (
                "",
                [
                    ("", labels[kind]),
                    ("", str(n)),
                    ("", f"€ {format_euros(amount)}" if amount else ""),
                ],
            )
            for kind, (n, amount) in sorted(per_kind.items(), key=lambda item: -item[1][0])
        ]
        parts.append(_table(["soort", "aantal", "bedrag"], rows, "lrr"))
    if report.quarantined:
        rows = [
            ("", [("", f"{q.ingelezen_op:%d-%m-%Y}"), ("", q.bestand), ("", q.reden)])
            for q in report.quarantined
        ]
        parts.append(_table(["ingelezen op", "bestand in quarantaine", "reden"], rows, "cll"))
    return "".join(parts)


def _alerts_section(report: ControllerReport) -> str:
    alerts = report.open_alerts
    head = "<h2>Open signaleringen</h2>"
    if not alerts:
        return head + '<p class="note">Geen open signaleringen.</p>'
    rows = [
        (
            "",
            [
                ("bad" if a.ernst == "kritiek" else "warn", a.ernst or ""),
                ("", highlight(a)),
                ("", f"{a.sinds:%d-%m-%Y}"),
                ("", "ja" if a.bevestigd else "nee"),
            ],
        )
        for a in alerts
    ]
    discussed = sum(a.bevestigd for a in alerts)
    return (
        head
        + f'<p class="note">{len(alerts)} open, waarvan {discussed} besproken.</p>'
        + _table(["ernst", "signalering", "sinds", "besproken"], rows, "llcc")
    )


# --------------------------------------------------------------------------- page


def render_html(report: ControllerReport, *, made: datetime | None = None) -> str:
    """The whole page as a string; `made` is the time printed in the footer."""
    budget = report.budget
    maand = f"{MONTH_NAMES[report.peilmaand.month - 1]} {report.peilmaand.year}"
    title = f"monitorbot {budget.gemeente_naam} ({budget.gemeente}): rapportage {maand}"
    versie = f"; begrotingsversie: {budget.versie}" if budget.versie else ""
    made_text = f" Gemaakt op {made:%d-%m-%Y %H:%M}." if made else ""
    return (
        '<!DOCTYPE html><html lang="nl"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{_e(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<h1>{_e(title)}</h1>"
        f'<p class="lead">Jeugd en Wmo: begroting tegen prognose, aanbieders, wachttijden '
        f"en datakwaliteit; gegevens zoals bekend op {budget.as_of:%d-%m-%Y}{_e(versie)}.</p>"
        + "".join(
            f'<section id="{name}">{body}</section>'
            for name, body in (
                ("begroting", _budget_section(report)),
                ("verloop", _charts_section(report)),
                ("aanbieders", _providers_section(report)),
                ("wachttijden", _waits_section(report)),
                ("signaleringen", _alerts_section(report)),
                ("datakwaliteit", _quality_section(report)),
            )
            if body
        )
        + "<footer>Geen cliëntgegevens in dit rapport: alleen totalen per perceel en "
        f"aanbieder. Details per maand in de werkmap {_e(report.stem)}.xlsx.{made_text}"
        "</footer></main></body></html>"
    )


def write_html(report: ControllerReport, path: Path, *, made: datetime | None = None) -> Path:
    path.write_text(render_html(report, made=made), encoding="utf-8")
    return path
