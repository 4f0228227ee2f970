"""The one-page report for the kernteam meeting: one HTML file that works offline.

Put on the screen in a meeting room or printed on A4, it must open without a
network, a server or a login: the style sheet is inline and the charts are
embedded as PNG data URIs, so there is nothing external to fetch. It is written
from the evaluation's snapshot, like the controller workbook and the messages:
the budget table × € 1.000 in Dutch format with V/N coloured, each perceel's
trend chart, the providers against their budget indication, waiting times above
norm, the data quality and the open alerts.

The page is a Jinja2 template with autoescape: every text from configuration or
data is escaped by the template engine, never by hand.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from monitorbot.core.calendar import month_name
from monitorbot.core.clock import shown
from monitorbot.core.money import format_euros, format_percentage
from monitorbot.evaluate.snapshot import Snapshot, WaitingTime
from monitorbot.report import budget_table
from monitorbot.report.chart import trend_chart
from monitorbot.report.texts import highlight

TEMPLATES = Path(__file__).parent / "templates"
ALIGN_CLASS = {"l": "", "r": "num", "c": "mid"}


@dataclass(frozen=True)
class Cell:
    text: str
    cls: str = ""


@dataclass(frozen=True)
class Row:
    cells: list[Cell]
    cls: str = ""


@dataclass(frozen=True)
class TableData:
    columns: Sequence[str]
    align: str
    rows: list[Row]


@cache
def _template() -> Any:
    from jinja2 import Environment, FileSystemLoader, StrictUndefined

    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return environment.get_template("rapport.html.j2")


def _k(cents: float | None) -> str:
    return "" if cents is None else format_euros(round(cents), thousands=True)


def _plain(cells: Iterable[str]) -> list[Cell]:
    return [Cell(text) for text in cells]


# --------------------------------------------------------------------------- sections


def _budget(report: Snapshot) -> dict[str, Any]:
    budget = report.begroting
    header, cells = budget_table.council_rows(budget)
    level_class = {"onderdeel": "sub", "domein": "total", "totaal": "total"}
    rows = []
    for row, texts in zip([*budget.body, *budget.totals], cells, strict=True):
        styled = _plain(texts)
        styled[4] = Cell(texts[4], f"vn-{row.v_n}" if row.v_n else "")
        rows.append(Row(styled, level_class.get(row.niveau, "")))
    return {
        "caption": budget_table.title(budget),
        "columns": header,
        "align": "".join(budget_table.ALIGN),
        "rows": rows,
        "notes": budget_table.footnotes(budget),
    }


def _charts(report: Snapshot) -> list[dict[str, str]]:
    charts = []
    for months in report.maanden:
        if months.perceel not in _top(report):
            continue
        row = report.budget_row(months.perceel)
        png = trend_chart(months, row.begroting_cents if row else None)
        charts.append(
            {
                "data": base64.b64encode(png).decode("ascii"),
                "alt": f"Verloop {months.naam} {months.jaar}",
            }
        )
    return charts


def _top(report: Snapshot) -> set[str]:
    """Percelen with their own line in the table: sub-percelen are charted in their parent."""
    return {r.perceel for r in report.begroting.body if r.niveau == "perceel"}


def _providers(report: Snapshot) -> TableData:
    jaar = report.begroting.jaar
    rows = []
    for p in report.aanbieders:
        model = p.model
        state = p.overschrijding(report.peildatum)
        crossing = (
            f"{state} in {month_name(p.overschrijding_maand).split()[0]}"
            if state and p.overschrijding_maand
            else ""
        )
        rows.append(
            Row(
                [
                    Cell(p.naam),
                    Cell(_k(p.budgetindicatie_cents)),
                    Cell(_k(model.mid if model else None)),
                    Cell(f"{_k(model.lo80)} – {_k(model.hi80)}" if model else ""),
                    Cell(_k(p.restant_cents), "bad" if (p.restant_cents or 0) < 0 else ""),
                    Cell(format_percentage(p.afwijking)),
                    Cell(crossing, "bad" if state == "overschreden" else "warn" if state else ""),
                ]
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
    return TableData(columns, "lrrrrrl", rows)


def _days(value: float) -> str:
    text = f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}".replace(".", ",")
    return f"{text} d"


def _wait_row(wait: WaitingTime) -> Row:
    share = f" ({wait.boven_norm / wait.gestart:.0%})" if wait.boven_norm is not None else ""
    return Row(
        [
            Cell(wait.aanbieder),
            Cell(wait.perceel_naam),
            Cell(str(wait.gestart)),
            Cell(_days(wait.mediaan_dagen), "bad" if wait.mediaan_boven_norm else ""),
            Cell(_days(wait.p90_dagen), "warn" if wait.p90_boven_norm else ""),
            Cell(_days(wait.norm_dagen) if wait.norm_dagen is not None else "-"),
            Cell(f"{wait.boven_norm}{share}" if wait.boven_norm is not None else "-"),
        ]
    )


def _waits(report: Snapshot) -> TableData:
    above = [w for w in report.wachttijden if w.mediaan_boven_norm or w.p90_boven_norm]
    above.sort(key=lambda w: (not w.mediaan_boven_norm, -w.mediaan_dagen))
    columns = ["aanbieder", "perceel", "gestart", "mediaan", "90e perc.", "norm", "boven norm"]
    return TableData(columns, "llrrrrr", [_wait_row(w) for w in above])


def _alerts(report: Snapshot) -> dict[str, Any]:
    alerts = report.open
    rows = [
        Row(
            [
                Cell(a.ernst.label if a.ernst else "", "bad" if a.ernst == "kritiek" else "warn"),
                Cell(highlight(a)),
                Cell(shown(a.sinds, report.tijdzone) if a.sinds else ""),
                Cell("ja" if a.bevestigd else "nee"),
            ]
        )
        for a in alerts
    ]
    discussed = sum(a.bevestigd for a in alerts)
    return {
        "summary": f"{len(alerts)} open, waarvan {discussed} besproken.",
        "columns": ["ernst", "signalering", "sinds", "besproken"],
        "align": "llcc",
        "rows": rows,
    }


def _quality(report: Snapshot) -> dict[str, Any]:
    per_kind: dict[str, list[int]] = {}
    labels: dict[str, str] = {}
    for finding in report.bevindingen:
        totals = per_kind.setdefault(finding.soort, [0, 0])
        totals[0] += finding.aantal
        totals[1] += finding.bedrag_cents
        labels[finding.soort] = finding.betekenis
    count = sum(n for n, _ in per_kind.values())
    kinds = [
        Row(_plain([labels[kind], str(n), f"€ {format_euros(amount)}" if amount else ""]))
        for kind, (n, amount) in sorted(per_kind.items(), key=lambda item: -item[1][0])
    ]
    files = [
        Row(_plain([shown(q.ingelezen_op, report.tijdzone), q.bestand, q.reden]))
        for q in report.geweigerd
    ]
    return {
        "summary": (
            f"{count} bevinding(en) bij het inlezen (de regels zijn bewaard) en "
            f"{len(report.geweigerd)} bestand(en) in quarantaine (niet ingelezen), "
            f"{report.peildatum.label}."
        ),
        "kinds": TableData(["soort", "aantal", "bedrag"], "lrr", kinds),
        "files": TableData(["ingelezen op", "bestand in quarantaine", "reden"], "cll", files),
    }


# --------------------------------------------------------------------------- page


def render_html(report: Snapshot, *, made: datetime | None = None) -> str:
    """The whole page as a string; `made` is the time printed in the footer."""
    budget = report.begroting
    title = (
        f"monitorbot {report.gemeente_naam} ({report.gemeente}): rapportage "
        f"{month_name(report.peildatum.peilmaand)}"
    )
    return _template().render(
        title=title,
        stand=report.peildatum.label,
        versie=budget.versie,
        jaar=budget.jaar,
        align_class=ALIGN_CLASS,
        budget=_budget(report),
        charts=_charts(report),
        providers=_providers(report),
        waits=_waits(report),
        alerts=_alerts(report),
        quality=_quality(report),
        stem=report.stem,
        made=shown(made, report.tijdzone, time=True) if made else "",
    )


def write_html(report: Snapshot, path: Path, *, made: datetime | None = None) -> Path:
    path.write_text(render_html(report, made=made), encoding="utf-8")
    return path
