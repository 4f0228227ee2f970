"""The one table everybody wants, rendered for a council report, a script or Excel.

Amounts are computed on unrounded cents (forecast stage) and rounded here only:
`table`/`markdown` show × €1.000 in Dutch format as council reports do, `csv`
gives euros with two decimals (Excel-NL, or `csv-punt` for scripts, see
`csv_text`), `xlsx` keeps numbers as numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

from monitorbot.core.money import exact_euros, format_euros, format_percentage
from monitorbot.forecast.results import BudgetReport, PerceelPrognose
from monitorbot.report import texts
from monitorbot.report.csv_text import CsvStijl, csv_text

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


def percent_decimal(fraction: float | None) -> Decimal | None:
    if fraction is None:
        return None
    return (Decimal(repr(fraction)) * 100).quantize(Decimal("0.01"), ROUND_HALF_UP)


def in_thousands(cents: float | None) -> str:
    return "" if cents is None else format_euros(round(cents), thousands=True)


def _rows(report: BudgetReport) -> list[PerceelPrognose]:
    return [*report.body, *report.totals]


def to_csv(report: BudgetReport, stijl: CsvStijl = CsvStijl.EXCEL_NL) -> str:
    rows = (
        [
            row.perceel,
            row.naam,
            exact_euros(row.begroting_cents),
            exact_euros(row.prognose_cents),
            exact_euros(row.restant_cents),
            row.v_n,
            percent_decimal(row.afwijking),
            row.bron if row.prognose_cents is not None else "",
        ]
        for row in _rows(report)
    )
    return csv_text(CSV_COLUMNS, rows, stijl)


def title(report: BudgetReport, *, thousands: bool = True) -> str:
    """The table's caption; `thousands=False` where amounts are whole euros (Excel)."""
    versie = f" {report.versie}" if report.versie else ""
    unit = "bedragen × € 1.000" if thousands else "bedragen in €"
    return (
        f"{report.gemeente_naam} ({report.gemeente}) — begroting {report.jaar}{versie}, "
        f"prognose {report.peildatum.label}; {unit}"
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
    prognose = in_thousands(row.prognose_cents)
    if row.correctie is not None and prognose:
        prognose += " *"
    return [
        naam,
        in_thousands(row.begroting_cents),
        prognose,
        in_thousands(row.restant_cents),
        row.v_n,
        format_percentage(row.afwijking),
    ]


def footnotes(report: BudgetReport, *, thousands: bool = True) -> list[str]:
    """Each correction with who, when and why, and early in the year what the total rests
    on; amounts in the table's unit (see `title`)."""
    amount = in_thousands if thousands else lambda cents: f"€ {format_euros(round(cents))}"
    notes = []
    for row in report.body:
        if row.correctie is not None:
            model = f"; model: {amount(row.model.mid)}" if row.model else ""
            notes.append(
                f"* {row.naam}: correctie {amount(row.correctie.prognose)} door "
                f"{row.correctie.door} ({row.correctie.datum:%d-%m-%Y}): "
                f"{row.correctie.reden}{model}"
            )
    total = report.rows[-1] if report.rows else None
    early = texts.grondslag(total, report.jaar, report.as_of, amount=amount) if total else None
    if early:
        notes.append(f"* {early}")
    return notes


def to_markdown(report: BudgetReport) -> str:
    header = _header(report)
    lines = [
        f"{title(report)}",
        "",
        "| " + " | ".join(header) + " |",
        "|---|" + "---:|" * 3 + ":-:|---:|",
    ]
    lines += ["| " + " | ".join(_cells(row, indent="↳ ")) + " |" for row in _rows(report)]
    notes = footnotes(report)
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
    out = [title(report), "", line(header), rule]
    for row, cells in zip(_rows(report), body, strict=True):
        if row.niveau in {"domein", "totaal"} and out[-1] != rule and not _is_total(out[-1]):
            out.append(rule)
        out.append(line(cells))
    notes = footnotes(report)
    return "\n".join(out + (["", *notes] if notes else [])) + "\n"


def _is_total(text: str) -> bool:
    return text.startswith(("Subtotaal", "Totaal"))


def to_xlsx(report: BudgetReport, path: Path) -> None:
    """An Excel sheet controllers can compute with: the controller workbook's "Begroting" sheet.

    Euros as numbers with euro formats, V/N coloured, frozen header; one home
    for that sheet (`workbook.write_budget_sheet`), which builds on this module's
    title and footnotes, hence the import here rather than at the top.
    """
    from monitorbot.report.workbook import budget_workbook

    budget_workbook(report, sheet_title=f"Begroting {report.jaar}").save(path)


#: Column alignment of the council table: perceel left, amounts right, V/N centred.
ALIGN = ("l", "r", "r", "r", "c", "r")


def council_intervals(report: BudgetReport) -> list[str]:
    """Per row of `council_rows`, the model's 80 % interval × € 1.000 ("7.061 – 7.461");
    empty for a corrected row (its figure is the controller's) or without a model."""
    return [
        f"{in_thousands(row.model.lo80)} – {in_thousands(row.model.hi80)}"
        if row.model is not None and row.correctie is None
        else ""
        for row in _rows(report)
    ]


def council_rows(report: BudgetReport) -> tuple[list[str], list[list[str]]]:
    """Header and rows as chat, e-mail and HTML show them: the console's cells, × € 1.000."""
    rows = [[c.replace("**", "") for c in _cells(row)] for row in _rows(report)]
    return _header(report), rows
