"""The one table everybody wants, rendered for a council report, a script or Excel.

Amounts are computed on unrounded cents (forecast stage) and rounded here only:
`table`/`markdown` show × €1.000 in Dutch format as council reports do, `csv`
gives euros with two decimals for scripts, `xlsx` keeps numbers as numbers.
"""

from __future__ import annotations

import csv
import io
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from monitorbot.forecast.prognosis import BudgetReport, PerceelPrognose
from monitorbot.money import format_euros, format_percentage

CSV_COLUMNS = [
    "perceel",
    "naam",
    "begroting",
    "prognose",
    "restant",
    "v_n",
    "afwijking_pct",
    "bron",
]


def _euros(cents: float | None) -> str:
    if cents is None:
        return ""
    return str((Decimal(repr(cents)) / 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _pct(fraction: float | None) -> str:
    if fraction is None:
        return ""
    return str((Decimal(repr(fraction)) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP))


def _k(cents: float | None) -> str:
    return "" if cents is None else format_euros(round(cents), thousands=True)


def _rows(report: BudgetReport) -> list[PerceelPrognose]:
    return [*report.body, *report.totals]


def to_csv(report: BudgetReport) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for row in _rows(report):
        writer.writerow(
            [
                row.perceel,
                row.naam,
                _euros(row.begroting_cents),
                _euros(row.prognose_cents),
                _euros(row.restant_cents),
                row.v_n,
                _pct(row.afwijking),
                row.bron if row.prognose_cents is not None else "",
            ]
        )
    return buffer.getvalue()


def _title(report: BudgetReport) -> str:
    versie = f" {report.versie}" if report.versie else ""
    return (
        f"{report.gemeente_naam} ({report.gemeente}) — begroting {report.jaar}{versie}, "
        f"prognose zoals bekend op {report.as_of:%d-%m-%Y}; bedragen × € 1.000"
    )


def _header(report: BudgetReport) -> list[str]:
    versie = f" {report.versie}" if report.versie else ""
    return [
        "perceel",
        f"Begroting {report.jaar}{versie}",
        f"Prognose {report.jaar}",
        "Restant-budget",
        "V/N",
        "afwijking in %",
    ]


def _cells(row: PerceelPrognose, indent: str = "  ") -> list[str]:
    """A row's cells; a sub-perceel is indented (markdown collapses spaces: use "↳ ")."""
    naam = f"{indent}{row.naam}" if row.niveau == "onderdeel" else row.naam
    if row.niveau in {"domein", "totaal"}:
        naam = f"**{row.naam}**"
    prognose = _k(row.prognose_cents)
    if row.correctie is not None and prognose:
        prognose += " *"
    return [
        naam,
        _k(row.begroting_cents),
        prognose,
        _k(row.restant_cents),
        row.v_n,
        format_percentage(row.afwijking),
    ]


def _footnotes(report: BudgetReport) -> list[str]:
    notes = []
    for row in report.body:
        if row.correctie is not None:
            model = f"; model: {_k(row.model.mid)}" if row.model else ""
            notes.append(
                f"* {row.naam}: correctie {_k(row.correctie.prognose)} door "
                f"{row.correctie.door} ({row.correctie.datum:%d-%m-%Y}): "
                f"{row.correctie.reden}{model}"
            )
    return notes


def to_markdown(report: BudgetReport) -> str:
    header = _header(report)
    lines = [
        f"{_title(report)}",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * 3 + ":-:|---:|",
    ]
    lines += ["| " + " | ".join(_cells(row, indent="↳ ")) + " |" for row in _rows(report)]
    notes = _footnotes(report)
    return "\n".join(lines + (["", *notes] if notes else [])) + "\n"


def to_table(report: BudgetReport) -> str:
    """Plain text with aligned columns, for the console."""
    header = _header(report)
    body = [[c.replace("**", "") for c in _cells(row)] for row in _rows(report)]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [
            c.rjust(w) if i != 3 else c.center(w)
            for i, (c, w) in enumerate(zip(cells[1:], widths[1:], strict=True))
        ]
        return "  ".join([first, *rest])

    rule = "  ".join("-" * w for w in widths)
    out = [_title(report), "", line(header), rule]
    for row, cells in zip(_rows(report), body, strict=True):
        if row.niveau in {"domein", "totaal"} and out[-1] != rule and not _is_total(out[-1]):
            out.append(rule)
        out.append(line(cells))
    notes = _footnotes(report)
    return "\n".join(out + (["", *notes] if notes else [])) + "\n"


def _is_total(text: str) -> bool:
    return text.startswith(("Subtotaal", "Totaal"))


def to_xlsx(report: BudgetReport, path: Path) -> None:
    """An Excel sheet controllers can compute with: euros as numbers, formats, frozen header."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Begroting {report.jaar}"
    sheet.append([_title(report)])
    sheet.append(
        [
            "perceel",
            "naam",
            "begroting",
            "prognose",
            "restant",
            "V/N",
            "afwijking",
            "bron",
            "model",
            "prognose 80% laag",
            "prognose 80% hoog",
        ]
    )
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    euro = '#,##0.00 "€";[Red]-#,##0.00 "€"'
    for row in _rows(report):
        model = row.model
        sheet.append(
            [
                row.perceel,
                row.naam,
                _num(row.begroting_cents),
                _num(row.prognose_cents),
                _num(row.restant_cents),
                row.v_n,
                row.afwijking,
                row.bron if row.prognose_cents is not None else None,
                row.modelnaam or None,
                _num(model.lo80 if model else None),
                _num(model.hi80 if model else None),
            ]
        )
        current = sheet.max_row
        for column in (3, 4, 5, 10, 11):
            sheet.cell(current, column).number_format = euro
        sheet.cell(current, 7).number_format = "0.0%"
        if row.niveau in {"domein", "totaal"}:
            for cell in sheet[current]:
                cell.font = Font(bold=True)
    sheet.freeze_panes = "C3"
    for index, width in enumerate([24, 40, 16, 16, 16, 5, 10, 10, 20, 16, 16], start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    workbook.save(path)


def _num(cents: float | None) -> float | None:
    """Euros as a number for Excel (rounded to the cent; Excel computes in floats anyway)."""
    return None if cents is None else round(cents) / 100
