"""The controller workbook: everything behind the monthly figures, in the form Excel users need.

Controllers live in Excel: they re-sort, filter, sum and paste into council
reports. So every amount is a number in euros (exact to the cent) with a euro
format, percentages are fractions with a percentage format, months are dates,
every sheet has a frozen header and an autofilter, and nothing is text that
should be a number. Sheet names and headers are Dutch, the users' language.

Everything comes from the evaluation's snapshot, which the one-page HTML report
(`html_report`), the digest and the kernteam message read too, so all show the
same figures. The snapshot holds aggregates only: no pseudonym, BSN or client
row, and not the raw input values a data-quality finding may keep. A text that
starts like a formula (`=`, `+`, `-`, `@`) is written as text, never as a formula.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_from_string
from openpyxl.worksheet.worksheet import Worksheet

from monitorbot.core.clock import local
from monitorbot.evaluate.catalogue import BY_NAME, MIN_CLIENTS, MIN_STARTS, WAIT_WINDOW
from monitorbot.evaluate.regio_snapshot import RegioSnapshot
from monitorbot.evaluate.snapshot import Snapshot
from monitorbot.forecast.results import (
    BudgetReport,
    MonthlyPrognosis,
    PerceelPrognose,
)
from monitorbot.report import budget_table

EURO = '"€" #,##0;[Red]"€" -#,##0'
PERCENT = "+0.0%;[Red]-0.0%;0.0%"
PLAIN_PERCENT = "0.0%"
COUNT = "#,##0"
DAYS = "0.0"
MONTH = "mmm yyyy"
DAY = "dd-mm-yyyy"
MOMENT = "dd-mm-yyyy hh:mm"

#: A cell text starting with one of these is a formula to Excel (CSV/formula injection).
FORMULA_STARTS = ("=", "+", "-", "@")

BOLD = Font(bold=True)
TITLE_FONT = Font(bold=True, size=12)
HEADER_FILL = PatternFill("solid", fgColor="DDE3EA")
TOTAL_FILL = PatternFill("solid", fgColor="F2F4F7")
RED_FILL = PatternFill("solid", fgColor="F8D7DA")
ORANGE_FILL = PatternFill("solid", fgColor="FCE5CD")
GREEN_FILL = PatternFill("solid", fgColor="D4EDDA")
RED_FONT = Font(color="9C0006", bold=True)
GREEN_FONT = Font(color="1E6B30", bold=True)
THIN_TOP = Border(top=Side(style="thin", color="98A2B3"))
HEADER_BORDER = Border(bottom=Side(style="thin", color="667085"))

#: Alert states as the users say them.
STATUS_LABELS = {"firing": "actief", "pending": "in afwachting", "resolved": "opgelost"}
STATUS_ORDER = {"firing": 0, "pending": 1, "resolved": 2}

#: The waiting-time metric's window (evaluate.metrics counts starts in the year before as_of).


def _local(moment: datetime | None, zone: str) -> datetime | None:
    """Local wall-clock time without tzinfo (Excel has no time zones)."""
    return None if moment is None else local(moment, zone).replace(tzinfo=None)


# --------------------------------------------------------------------------- sheet helpers


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    number_format: str | None = None


def _euros(cents: float | None) -> float | None:
    """Euros as a number for Excel, rounded to the cent (Excel computes in floats anyway)."""
    return None if cents is None else round(cents) / 100


def _lines(text: str, width: float) -> int:
    """Lines a wrapped text needs in a cell `width` characters wide (bold text is wider)."""
    return max(1, math.ceil(len(text) / max(width * 0.85, 1)))


def _title(sheet: Worksheet, row: int, text: str, columns: Sequence[Column]) -> None:
    """The title wraps within the table's width: a long line would shrink the printed page."""
    cell = sheet.cell(row, 1, text)
    cell.font = TITLE_FONT
    cell.alignment = Alignment(wrap_text=True, vertical="top")
    sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(columns))
    sheet.row_dimensions[row].height = 17 * _lines(text, sum(c.width for c in columns))


def _header(sheet: Worksheet, row: int, columns: Sequence[Column]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = sheet.cell(row, index, column.header)
        cell.font, cell.fill, cell.border = BOLD, HEADER_FILL, HEADER_BORDER
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    sheet.row_dimensions[row].height = 15 * max(_lines(c.header, c.width) for c in columns)


def _row(sheet: Worksheet, row: int, columns: Sequence[Column], values: Sequence[Any]) -> None:
    for index, (column, value) in enumerate(zip(columns, values, strict=True), start=1):
        cell = sheet.cell(row, index, value)
        if isinstance(value, str) and value.startswith(FORMULA_STARTS):
            cell.data_type = "s"  # text from input that looks like a formula stays text
        if column.number_format and value is not None and not isinstance(value, str):
            cell.number_format = column.number_format


def _layout(sheet: Worksheet, columns: Sequence[Column], *, freeze: str) -> None:
    """Column widths, frozen header, and printing on A4 landscape, one page wide."""
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    sheet.freeze_panes = freeze
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    _, first_data_row = coordinate_from_string(freeze)
    sheet.print_title_rows = f"1:{first_data_row - 1}"


def _table(
    sheet: Worksheet,
    title: str,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Any]],
    *,
    empty: str,
    start: int = 1,
    autofilter: bool = True,
) -> tuple[int, int]:
    """Title, header and rows from row `start`; returns the first and last data row.

    A sheet has one autofilter: a second table on the same sheet goes without.
    """
    _title(sheet, start, title, columns)
    _header(sheet, start + 1, columns)
    current = start + 1
    for values in rows:
        current += 1
        _row(sheet, current, columns, values)
    if current == start + 1:
        current += 1
        sheet.cell(current, 1, empty).font = Font(italic=True)
        return current, current
    if autofilter:
        sheet.auto_filter.ref = f"A{start + 1}:{get_column_letter(len(columns))}{current}"
    return start + 2, current


def _highlight(sheet: Worksheet, cells: str, formula: str, fill: PatternFill) -> None:
    sheet.conditional_formatting.add(cells, FormulaRule(formula=[formula], fill=fill))


# --------------------------------------------------------------------------- Begroting


def _budget_columns(report: BudgetReport) -> list[Column]:
    versie = f" {report.versie}" if report.versie else ""
    return [
        Column("perceel", 24),
        Column("naam", 40),
        Column(f"Begroting {report.jaar}{versie}", 18, EURO),
        Column(f"Prognose {report.jaar}", 16, EURO),
        Column("Restant-budget", 16, EURO),
        Column("V/N", 6),
        Column("afwijking in %", 11, PERCENT),
        Column("bron", 11),
        Column("model", 22),
        Column("prognose 80% laag", 16, EURO),
        Column("prognose 80% hoog", 16, EURO),
        Column(f"gedeclareerd {report.jaar} tot nu", 16, EURO),
        Column(f"verwacht compleet {report.jaar} tot nu", 16, EURO),
    ]


def write_budget_sheet(sheet: Worksheet, report: BudgetReport) -> None:
    """The one table everybody wants, computable: rows 1-2 title and header, data from row 3.

    `budget_table.to_xlsx` writes this same sheet on its own; corrections are
    footnotes under the table, as in the council report.
    """
    columns = _budget_columns(report)
    _title(sheet, 1, budget_table.title(report, thousands=False), columns)
    _header(sheet, 2, columns)
    rows = [*report.body, *report.totals]
    for current, row in enumerate(rows, start=3):
        model = row.model
        _row(
            sheet,
            current,
            columns,
            [
                row.perceel,
                row.naam,
                _euros(row.begroting_cents),
                _euros(row.prognose_cents),
                _euros(row.restant_cents),
                row.v_n or None,
                row.afwijking,
                row.bron if row.prognose_cents is not None else None,
                row.modelnaam or None,
                _euros(model.lo80 if model else None),
                _euros(model.hi80 if model else None),
                _euros(row.gedeclareerd_cents),
                _euros(row.verwacht_compleet_cents),
            ],
        )
        _style_budget_row(sheet, current, row, len(columns))
    last = 2 + len(rows)
    _mark_v_n(sheet, f"F3:F{max(last, 3)}")
    notes = budget_table.footnotes(report, thousands=False)
    for offset, note in enumerate(notes, start=last + 2):
        sheet.cell(offset, 1, note).font = Font(italic=True)
    _layout(sheet, columns, freeze="C3")


def _style_budget_row(sheet: Worksheet, current: int, row: PerceelPrognose, width: int) -> None:
    """Sub-percelen indented under their parent; subtotals and the total bold and ruled."""
    if row.niveau == "onderdeel":
        sheet.cell(current, 2).alignment = Alignment(indent=2)
    sheet.cell(current, 6).alignment = Alignment(horizontal="center")
    if row.niveau in {"domein", "totaal"}:
        for column in range(1, width + 1):
            cell = sheet.cell(current, column)
            cell.font, cell.fill, cell.border = BOLD, TOTAL_FILL, THIN_TOP


def _mark_v_n(sheet: Worksheet, cells: str) -> None:
    """N red, V green: conditional, so a controller's own edits are coloured too."""
    sheet.conditional_formatting.add(
        cells, CellIsRule(operator="equal", formula=['"N"'], fill=RED_FILL, font=RED_FONT)
    )
    sheet.conditional_formatting.add(
        cells, CellIsRule(operator="equal", formula=['"V"'], fill=GREEN_FILL, font=GREEN_FONT)
    )


def budget_workbook(report: BudgetReport, *, sheet_title: str) -> Workbook:
    """A workbook holding only the budget sheet (`report budget --format xlsx`, the digest)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = sheet_title
    write_budget_sheet(sheet, report)
    return workbook


# --------------------------------------------------------------------------- Regio


def regio_workbook(snapshot: RegioSnapshot) -> Workbook:
    """The regional table, computable: per perceel each member's line and the region's,
    and on a second sheet which snapshot of each member it was read from."""
    from monitorbot.report import regio_table

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = f"Regio {snapshot.jaar}"
    columns = [
        Column("perceel", 22),
        Column("naam", 34),
        Column("gemeente", 16),
        Column(f"Begroting {snapshot.jaar}", 16, EURO),
        Column(f"Prognose {snapshot.jaar}", 16, EURO),
        Column("prognose 80% laag", 16, EURO),
        Column("prognose 80% hoog", 16, EURO),
        Column("Restant-budget", 16, EURO),
        Column("V/N", 6),
        Column("afwijking in %", 11, PERCENT),
        Column("bron", 10),
        Column("samenhang", 11, "0.00"),
    ]
    _title(sheet, 1, regio_table.title(snapshot, thousands=False), columns)
    _header(sheet, 2, columns)
    current = 2
    for rij, gemeente in regio_table.lines(snapshot):
        current += 1
        lid = rij.lid(gemeente) if gemeente else None
        figure = lid if lid is not None else rij
        band = lid.prognose if lid is not None else rij.regio
        bron = lid.bron if lid is not None else "som"
        interval = band is not None and bron != "correctie"
        _row(
            sheet,
            current,
            columns,
            [
                rij.perceel,
                rij.naam,
                snapshot.naam_van(gemeente) if gemeente else regio_table.REGIO_LABEL,
                _euros(figure.begroting_cents),
                _euros(band.mid if band else None),
                _euros(band.lo80 if interval and band else None),
                _euros(band.hi80 if interval and band else None),
                _euros(figure.restant_cents),
                figure.v_n or None,
                figure.afwijking,
                bron if band else None,
                rij.samenhang if lid is None else None,
            ],
        )
        if lid is None:
            for column in range(1, len(columns) + 1):
                cell = sheet.cell(current, column)
                cell.font, cell.fill = BOLD, TOTAL_FILL
    sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{max(current, 3)}"
    _mark_v_n(sheet, f"I3:I{max(current, 3)}")
    for offset, note in enumerate(regio_table.footnotes(snapshot), start=current + 2):
        sheet.cell(offset, 1, note).font = Font(italic=True)
    _layout(sheet, columns, freeze="D3")
    _write_benchmark(workbook.create_sheet("Vergelijking"), snapshot)
    _write_member_sources(workbook.create_sheet("Gemeenten"), snapshot)
    return workbook


def _write_benchmark(sheet: Worksheet, snapshot: RegioSnapshot) -> None:
    """The comparison with numbers as numbers; a left-out figure is an empty cell."""
    from monitorbot.report import regio_table

    number = {"€": EURO, "%": PLAIN_PERCENT}
    columns = [
        Column("kengetal", 44),
        Column("eenheid", 18),
        *(Column(lid.naam, 13) for lid in snapshot.leden),
        Column(regio_table.REGIO_LABEL, 13),
        Column("mediaan", 13),
        Column("wijkt af", 24),
    ]
    rows = [
        [
            k.titel,
            k.eenheid,
            *(k.waarde(lid.gemeente) for lid in snapshot.leden),
            k.regio,
            k.mediaan,
            ", ".join(snapshot.naam_van(code) for code in k.afwijkers) or None,
        ]
        for k in snapshot.kengetallen
    ]
    first, last = _table(
        sheet, regio_table.benchmark_title(snapshot), columns, rows, empty="Geen kengetallen."
    )
    for current, kengetal in enumerate(snapshot.kengetallen, start=first):
        for column in range(3, 3 + len(snapshot.leden) + 2):
            sheet.cell(current, column).number_format = number.get(kengetal.eenheid, "#,##0.0")
    for offset, note in enumerate(regio_table.benchmark_notes(), start=last + 2):
        sheet.cell(offset, 1, note).font = Font(italic=True)
    _layout(sheet, columns, freeze="C3")


def _write_member_sources(sheet: Worksheet, snapshot: RegioSnapshot) -> None:
    columns = [
        Column("gemeente", 10),
        Column("naam", 22),
        Column("cijfers berekend op", 18, MOMENT),
        Column("bron", 30),
        Column("ontbreekt", 30),
    ]
    rows = (
        [
            lid.gemeente,
            lid.naam,
            _local(lid.berekend_op, snapshot.tijdzone),
            "opgeslagen evaluatie" if lid.momentopname else "berekend voor dit rapport",
            lid.ontbreekt,
        ]
        for lid in snapshot.leden
    )
    _table(sheet, "Waar de cijfers van elke gemeente vandaan komen", columns, rows, empty="")
    _layout(sheet, columns, freeze="A3")


# --------------------------------------------------------------------------- Maanden


def _month_columns() -> list[Column]:
    return [
        Column("perceel", 22),
        Column("naam", 36),
        Column("zorgmaand", 11, MONTH),
        Column("gedeclareerd", 15, EURO),
        Column("verwacht compleet", 15, EURO),
        Column("prognose", 15, EURO),
        Column("80%-interval laag", 15, EURO),
        Column("80%-interval hoog", 15, EURO),
        Column("maandbedrag (compleet of prognose)", 18, EURO),
    ]


def _month_rows(months: MonthlyPrognosis) -> Iterable[list[Any]]:
    for month in months.maanden:
        band = month.prognose
        figure = band.mid if band else month.verwacht_compleet_cents
        yield [
            months.perceel,
            months.naam,
            month.maand,
            _euros(month.gedeclareerd_cents),
            _euros(month.verwacht_compleet_cents),
            _euros(band.mid if band else None),
            _euros(band.lo80 if band else None),
            _euros(band.hi80 if band else None),
            _euros(figure),
        ]


def _year_row(months: MonthlyPrognosis) -> list[Any]:
    """The year: sums of the months, and the model's year figure with its band."""
    past = [m for m in months.maanden if m.gedeclareerd_cents is not None]
    future = [m.prognose.mid for m in months.maanden if m.prognose is not None]
    whole = months.model
    return [
        months.perceel,
        f"{months.naam}: jaar {months.jaar}",
        None,
        _euros(sum(m.gedeclareerd_cents or 0.0 for m in past)) if past else None,
        _euros(sum(m.verwacht_compleet_cents or 0.0 for m in past)) if past else None,
        _euros(sum(future)) if future else None,
        _euros(whole.lo80 if whole else None),
        _euros(whole.hi80 if whole else None),
        _euros(whole.mid if whole else None),
    ]


def _write_months_sheet(sheet: Worksheet, report: Snapshot) -> None:
    """Per perceel its 12 care months, then a bold year row; one long table, filterable."""
    columns = _month_columns()
    _title(
        sheet,
        1,
        f"{report.gemeente_naam} — per perceel en zorgmaand {report.begroting.jaar}, "
        f"{report.peildatum.label}; bedragen in €. Gedeclareerd = wat aanbieders "
        "declareerden, min wat de gemeente afwees (declaratie-antwoord); verwacht compleet = "
        "gedeclareerd plus de nadeclaraties die nog worden verwacht; prognose (met "
        "80%-interval) voor de maanden zonder gegevens; de jaarregel geeft het jaartotaal "
        "van het model met zijn interval.",
        columns,
    )
    _header(sheet, 2, columns)
    current = 2
    for months in report.maanden:
        for values in _month_rows(months):
            current += 1
            _row(sheet, current, columns, values)
        current += 1
        _row(sheet, current, columns, _year_row(months))
        for column in range(1, len(columns) + 1):
            cell = sheet.cell(current, column)
            cell.font, cell.fill, cell.border = BOLD, TOTAL_FILL, THIN_TOP
    if current == 2:
        sheet.cell(3, 1, "Geen percelen met gegevens.").font = Font(italic=True)
    else:
        sheet.auto_filter.ref = f"A2:{get_column_letter(len(columns))}{current}"
    _layout(sheet, columns, freeze="D3")


# --------------------------------------------------------------------------- Aanbieders


def _write_providers_sheet(sheet: Worksheet, report: Snapshot) -> None:
    jaar = report.begroting.jaar
    columns = [
        Column("AGB", 11),
        Column("aanbieder", 36),
        Column(f"budgetindicatie {jaar}", 16, EURO),
        Column(f"gedeclareerd {jaar} tot nu", 16, EURO),
        Column(f"prognose {jaar}", 16, EURO),
        Column("80%-interval laag", 15, EURO),
        Column("80%-interval hoog", 15, EURO),
        Column("restant", 15, EURO),
        Column("afwijking in %", 11, PERCENT),
        Column("overschrijding in", 16, MONTH),
        Column("overschrijding", 14),
        Column("model", 22),
    ]
    rows = (
        [
            p.agb,
            p.naam,
            _euros(p.budgetindicatie_cents),
            _euros(p.gedeclareerd_cents),
            _euros(p.model.mid if p.model else None),
            _euros(p.model.lo80 if p.model else None),
            _euros(p.model.hi80 if p.model else None),
            _euros(p.restant_cents),
            p.afwijking,
            p.overschrijding_maand,
            p.overschrijding(report.peildatum),
            p.modelnaam or None,
        ]
        for p in report.aanbieders
    )
    first, last = _table(
        sheet,
        f"Aanbieders met een budgetindicatie {jaar}: prognose, restant en de maand waarin de "
        f"indicatie (naar verwachting) wordt overschreden; {report.peildatum.label}; "
        "bedragen in €",
        columns,
        rows,
        empty=f"Geen budgetindicaties voor {jaar} in de configuratie.",
    )
    if report.aanbieders:
        _highlight(sheet, f"H{first}:H{last}", f"AND(ISNUMBER(H{first}),H{first}<0)", RED_FILL)
        _highlight(sheet, f"J{first}:K{last}", f'$K{first}="overschreden"', RED_FILL)
        _highlight(sheet, f"J{first}:K{last}", f'$K{first}="verwacht"', ORANGE_FILL)
    _layout(sheet, columns, freeze="C3")


# --------------------------------------------------------------------------- Toewijzingen


def _write_commitments_sheet(sheet: Worksheet, report: Snapshot) -> None:
    jaar = report.jaar
    columns = [
        Column("perceel", 34),
        Column("AGB", 11),
        Column("aanbieder", 36),
        Column("lopende toewijzingen", 12, COUNT),
        Column("cliënten", 10, COUNT),
        Column(f"toegewezen t/m 31-12-{jaar}", 16, EURO),
        Column("zonder tarief", 11, COUNT),
    ]
    rows = (
        [
            v.perceel_naam,
            v.agb,
            v.aanbieder,
            v.toewijzingen,
            v.clienten,
            _euros(v.bedrag_cents),
            v.zonder_tarief,
        ]
        for v in report.verplichtingen
    )
    _table(
        sheet,
        f"Lopende toewijzingen, {report.peildatum.label}: zorg die al is toegewezen "
        f"en tot het eind van {jaar} loopt, per perceel en aanbieder, nog vóór er iets van is "
        "gedeclareerd. Bedrag: het Budget uit de toewijzing (301) waar die er een heeft, anders "
        "de Omvang tegen het tarief dat de aanbieder voor dit product de laatste drie maanden "
        "declareerde ('zonder tarief': toewijzingen met een Omvang maar zonder zo'n tarief, "
        "geteld en niet gewaardeerd); een toewijzing zonder einddatum telt een jaar. "
        f"Aanbieders met minder dan {MIN_CLIENTS} cliënten staan samen.",
        columns,
        rows,
        empty="Geen lopende toewijzingen (of te weinig cliënten om te tonen).",
    )
    _layout(sheet, columns, freeze="D3")


# --------------------------------------------------------------------------- Wachttijden


def _write_waits_sheet(sheet: Worksheet, report: Snapshot) -> None:
    columns = [
        Column("perceel", 36),
        Column("aanbieder", 34),
        Column("AGB", 11),
        Column("gestart", 9, COUNT),
        Column("mediaan (dagen)", 11, DAYS),
        Column("90e percentiel (dagen)", 12, COUNT),
        Column("norm (dagen)", 10, COUNT),
        Column("cliënten boven norm", 11, COUNT),
        Column("% boven norm", 10, PLAIN_PERCENT),
    ]
    rows = (
        [
            w.perceel_naam,
            w.aanbieder,
            w.agb or None,
            w.gestart,
            w.mediaan_dagen,
            w.p90_dagen,
            w.norm_dagen,
            w.boven_norm,
            w.boven_norm / w.gestart if w.boven_norm is not None and w.gestart else None,
        ]
        for w in report.wachttijden
    )
    as_of = report.peildatum.grens
    first, last = _table(
        sheet,
        f"Wachttijd van toewijzing tot start zorg per aanbieder en perceel, zorg gestart van "
        f"{as_of - WAIT_WINDOW:%d-%m-%Y} t/m {as_of - timedelta(days=1):%d-%m-%Y} "
        f"(minstens {MIN_STARTS} starts); "
        "boven de norm: mediaan rood, 90e percentiel oranje",
        columns,
        rows,
        empty=f"Geen aanbieders met minstens {MIN_STARTS} gestarte cliënten.",
    )
    if report.wachttijden:
        above = "AND(ISNUMBER($G{r}),{c}{r}>$G{r})"
        _highlight(sheet, f"E{first}:E{last}", above.format(c="E", r=first), RED_FILL)
        _highlight(sheet, f"F{first}:F{last}", above.format(c="F", r=first), ORANGE_FILL)
    _layout(sheet, columns, freeze="C3")


# --------------------------------------------------------------------------- Datakwaliteit


def _write_quality_sheet(sheet: Worksheet, report: Snapshot) -> None:
    """Findings per kind and provider, then the quarantined files with their reason."""
    columns = [
        Column("soort", 28),
        Column("betekenis", 52),
        Column("aanbieder", 34),
        Column("AGB", 11),
        Column("aantal", 9, COUNT),
        Column("bedrag", 14, EURO),
        Column("eerst gevonden", 17, MOMENT),
        Column("laatst gevonden", 17, MOMENT),
    ]
    rows = (
        [
            f.soort,
            f.betekenis,
            f.aanbieder,
            f.agb,
            f.aantal,
            _euros(f.bedrag_cents) if f.bedrag_cents else None,
            _local(f.eerst, report.tijdzone),
            _local(f.laatst, report.tijdzone),
        ]
        for f in report.bevindingen
    )
    _, last = _table(
        sheet,
        f"Bevindingen bij het inlezen per soort en aanbieder ({report.gemeente_naam}), "
        f"{report.peildatum.label}; de regels zijn bewaard, het probleem is vastgelegd",
        columns,
        rows,
        empty="Geen bevindingen.",
    )
    # Same sheet, so the first table's widths; the reason is last so it can run on.
    files = [
        Column(header, column.width, number_format)
        for (header, number_format), column in zip(
            [("ingelezen op", MOMENT), ("bestand", None), ("soort", None), ("reden", None)],
            columns,
            strict=False,
        )
    ]
    _, last = _table(
        sheet,
        "Bestanden in quarantaine (geweigerd, niet ingelezen)",
        files,
        (
            [_local(q.ingelezen_op, report.tijdzone), q.bestand, q.soort, q.reden]
            for q in report.geweigerd
        ),
        empty="Geen bestanden in quarantaine.",
        start=last + 3,
        autofilter=False,
    )
    _write_rejected_declarations(sheet, report, columns, start=last + 3)
    _layout(sheet, columns, freeze="A3")


def _write_rejected_declarations(
    sheet: Worksheet, report: Snapshot, columns: Sequence[Column], *, start: int
) -> None:
    """Per provider, what the municipality rejected of its declarations (325): the same
    measurement the rule `afwijzingen-per-aanbieder` judges."""
    rows = report.meting("afgewezen_declaraties_pct", "aanbieder")
    window = rows[0].invoer["venster_dagen"] if rows else None
    table = [
        Column(header, column.width, number_format)
        for (header, number_format), column in zip(
            [
                ("aanbieder", None),
                ("retourcodes", None),
                ("AGB", None),
                ("antwoorden", COUNT),
                ("ingediend", EURO),
                ("afgewezen", EURO),
                ("% afgewezen", PLAIN_PERCENT),
            ],
            [columns[2], columns[1], columns[3], columns[4], columns[5], columns[5], columns[4]],
            strict=True,
        )
    ]
    _table(
        sheet,
        "Afgewezen declaraties per aanbieder (declaratie-antwoorden"
        + (f" van de {window} dagen voor de peildatum)" if window else ")"),
        table,
        (
            [
                m.titel,
                ", ".join(m.invoer["retourcodes"]),
                m.labels["aanbieder"],
                m.invoer["antwoorden"],
                _euros(m.invoer["ingediend_cents"]),
                _euros(m.invoer["afgewezen_cents"]),
                (m.waarde or 0.0) / 100,
            ]
            for m in rows
        ),
        empty="Geen declaratie-antwoorden in deze periode.",
        start=start,
        autofilter=False,
    )


# --------------------------------------------------------------------------- Signaleringen


def _value_format(metric: str, value: float) -> tuple[float, str]:
    """How a metric's stored value is shown: its unit decides scale and number format."""
    unit = BY_NAME[metric].eenheid if metric in BY_NAME else "aantal"
    if unit == "euro":
        return value / 100, EURO  # euro metrics are stored in cents
    if unit == "procent":
        return value / 100, PERCENT  # stored in percentage points
    whole = float(value).is_integer()
    if unit == "dagen":
        return value, '0 "dagen"' if whole else '0.0 "dagen"'
    return value, COUNT if whole else "#,##0.0"


def _write_alerts_sheet(sheet: Worksheet, report: Snapshot) -> None:
    columns = [
        Column("status", 13),
        Column("ernst", 13),
        Column("regel", 34),
        Column("titel", 46),
        Column("sinds", 17, MOMENT),
        Column("bevestigd door", 22),
        Column("bevestigd op", 17, MOMENT),
        Column("laatste waarde", 16),
    ]
    first, last = _table(
        sheet,
        "Signaleringen: actief, in afwachting en opgelost, met de waarde van de laatste evaluatie",
        columns,
        (
            [
                a.status.label,
                a.ernst.label if a.ernst else None,
                a.regel,
                a.titel,
                _local(a.sinds, report.tijdzone),
                a.bevestigd_door,
                _local(a.bevestigd_op, report.tijdzone),
                None,
            ]
            for a in report.signaleringen
        ),
        empty="Geen signaleringen (de regels zijn nog niet geëvalueerd: monitorbot evaluate).",
    )
    for offset, alert in enumerate(report.signaleringen):
        if alert.waarde is None:
            continue
        value, number_format = _value_format(alert.metric, alert.waarde)
        sheet.cell(first + offset, 8, value).number_format = number_format
    if report.signaleringen:
        _highlight(sheet, f"B{first}:B{last}", f'B{first}="kritiek"', RED_FILL)
        _highlight(sheet, f"B{first}:B{last}", f'B{first}="waarschuwing"', ORANGE_FILL)
    _layout(sheet, columns, freeze="A3")


# --------------------------------------------------------------------------- workbook

SHEETS = (
    ("Begroting", lambda sheet, report: write_budget_sheet(sheet, report.begroting)),
    ("Maanden", _write_months_sheet),
    ("Aanbieders", _write_providers_sheet),
    ("Toewijzingen", _write_commitments_sheet),
    ("Wachttijden", _write_waits_sheet),
    ("Datakwaliteit", _write_quality_sheet),
    ("Signaleringen", _write_alerts_sheet),
)


def write_workbook(report: Snapshot, path: Path) -> Path:
    """The controller workbook, one sheet per subject, the budget first."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, write in SHEETS:
        write(workbook.create_sheet(name), report)
    workbook.properties.title = budget_table.title(report.begroting, thousands=False)
    workbook.properties.creator = "monitorbot"
    workbook.save(path)
    return path
