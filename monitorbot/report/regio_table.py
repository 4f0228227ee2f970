"""The regional table: per perceel each member's line and the region's, from the region's
snapshot, for the console, a script or Excel.

Every member line is the line of that member's own table; the region's line is
their sum to the cent, with the interval the snapshot combined (never the sum of
the members' bounds). Rounded here only, as `budget_table` does.
"""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

from monitorbot.core.money import (
    exact_euros,
    format_euros,
    format_number,
    format_percentage,
    whole_cents,
)
from monitorbot.core.states import Niveau
from monitorbot.evaluate.regio_snapshot import Band, LidCijfer, RegioRij, RegioSnapshot
from monitorbot.report.budget_table import in_thousands, percent_decimal
from monitorbot.report.csv_text import CsvStijl, csv_text

REGIO_LABEL = "Regio"

CSV_COLUMNS = [
    "perceel",
    "naam",
    "gemeente",
    "gemeente_naam",
    "begroting",
    "prognose",
    "prognose_80_laag",
    "prognose_80_hoog",
    "restant",
    "v_n",
    "afwijking_pct",
    "bron",
]


def title(snapshot: RegioSnapshot, *, thousands: bool = True) -> str:
    unit = "bedragen × € 1.000" if thousands else "bedragen in €"
    return (
        f"{snapshot.naam} ({len(snapshot.leden)} gemeenten) — begroting {snapshot.jaar}, "
        f"prognose {snapshot.peildatum.label}; {unit}"
    )


def header(snapshot: RegioSnapshot) -> list[str]:
    return [
        "perceel / gemeente",
        f"Begroting {snapshot.jaar}",
        f"Prognose {snapshot.jaar}",
        "80%-interval",
        "Restant-budget",
        "V/N",
        "afwijking in %",
    ]


def lines(snapshot: RegioSnapshot) -> Iterator[tuple[RegioRij, str | None]]:
    """(row, gemeente) in table order: each member, then the region (gemeente None)."""
    for rij in snapshot.rijen:
        for lid in rij.leden:
            yield rij, lid.gemeente
        yield rij, None


def _band_text(band: Band | None, bron: str) -> str:
    if band is None or bron == "correctie":
        return ""
    return f"{in_thousands(band.lo80)} – {in_thousands(band.hi80)}"


def _member_cells(lid: LidCijfer, naam: str) -> list[str]:
    prognose = in_thousands(lid.prognose.mid) if lid.prognose else ""
    if lid.bron == "correctie" and prognose:
        prognose += " *"
    return [
        naam,
        in_thousands(lid.begroting_cents),
        prognose,
        _band_text(lid.prognose, lid.bron),
        in_thousands(lid.restant_cents),
        lid.v_n,
        format_percentage(lid.afwijking),
    ]


def _region_cells(rij: RegioRij) -> list[str]:
    return [
        REGIO_LABEL,
        in_thousands(rij.begroting_cents),
        in_thousands(rij.regio.mid) if rij.regio else "",
        _band_text(rij.regio, "model"),
        in_thousands(rij.restant_cents),
        rij.v_n,
        format_percentage(rij.afwijking),
    ]


def blocks(snapshot: RegioSnapshot) -> list[tuple[RegioRij, list[list[str]]]]:
    """Per row of the table its member lines and the region's line (the console's
    table: one section per perceel)."""
    return [
        (
            rij,
            [
                *(_member_cells(lid, snapshot.naam_van(lid.gemeente)) for lid in rij.leden),
                _region_cells(rij),
            ],
        )
        for rij in snapshot.rijen
    ]


def cells(snapshot: RegioSnapshot) -> list[tuple[RegioRij | None, list[str]]]:
    """The text table's rows: a heading per perceel, then its member lines and the region."""
    out: list[tuple[RegioRij | None, list[str]]] = []
    for rij, lines in blocks(snapshot):
        out.append((None, [rij.naam, "", "", "", "", "", ""]))
        out.extend((rij, [f"  {line[0]}", *line[1:]]) for line in lines)
    return out


def footnotes(snapshot: RegioSnapshot) -> list[str]:
    notes = [
        f"{REGIO_LABEL} = de som van de gemeenten, elk op de cent; het interval van de regio "
        "combineert die van de gemeenten met hoe sterk hun kosten samen bewegen "
        "(samenhang per perceel in het werkboek), niet door grenzen op te tellen."
    ]
    if any(m.bron == "correctie" for r in snapshot.rijen for m in r.leden):
        notes.append("* prognose van de controller (correctie); zonder modelinterval.")
    if any(r.regio is None and any(m.prognose for m in r.leden) for r in snapshot.rijen):
        notes.append(
            "Geen prognose voor de regio waar een gemeente met een begroting nog geen prognose "
            "heeft: de som zou haar deel missen."
        )
    for lid in snapshot.leden:
        if lid.ontbreekt:
            notes.append(f"{lid.naam}: {lid.ontbreekt}.")
    return notes


def to_table(snapshot: RegioSnapshot) -> str:
    """Plain text with aligned columns, for the console."""
    head = header(snapshot)
    body = cells(snapshot)
    widths = [max(len(r[i]) for r in [head, *(c for _, c in body)]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = [
            c.rjust(w) if i != 4 else c.center(w)
            for i, (c, w) in enumerate(zip(row[1:], widths[1:], strict=True))
        ]
        return "  ".join([first, *rest]).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [title(snapshot), "", line(head), rule]
    for rij, row in body:
        if rij is None and out[-1] != rule:  # a blank line before each perceel but the first
            out.append("")
        out.append(line(row))
    return "\n".join([*out, "", *footnotes(snapshot)]) + "\n"


def to_markdown(snapshot: RegioSnapshot) -> str:
    head = header(snapshot)
    out = [title(snapshot), "", "| " + " | ".join(head) + " |", "|---|" + "---:|" * 4 + ":-:|---:|"]
    for rij, row in cells(snapshot):
        if rij is None:
            row = [f"**{row[0]}**", *row[1:]]
        elif row[0].strip() == REGIO_LABEL:
            row = [f"**{c.strip()}**" if c else "" for c in row]
        else:
            row = [f"↳ {row[0].strip()}", *row[1:]]
        out.append("| " + " | ".join(row) + " |")
    return "\n".join([*out, "", *footnotes(snapshot)]) + "\n"


def to_csv(snapshot: RegioSnapshot, stijl: CsvStijl = CsvStijl.EXCEL_NL) -> str:
    """One line per row and gemeente (and the region, gemeente `regio`), in euros."""
    rows = []
    for rij, gemeente in lines(snapshot):
        figure: RegioRij | LidCijfer
        if gemeente is None:
            figure, band, bron = rij, rij.regio, "som"
            code, naam = "regio", snapshot.naam
        else:
            lid = rij.lid(gemeente)
            assert lid is not None
            figure, band, bron = lid, lid.prognose, lid.bron
            code, naam = gemeente, snapshot.naam_van(gemeente)
        interval = band is not None and bron != "correctie"
        rows.append(
            [
                rij.perceel,
                rij.naam,
                code,
                naam,
                exact_euros(figure.begroting_cents),
                exact_euros(band.mid if band else None),
                exact_euros(band.lo80 if interval and band else None),
                exact_euros(band.hi80 if interval and band else None),
                exact_euros(figure.restant_cents),
                figure.v_n,
                percent_decimal(figure.afwijking),
                bron if band else "",
            ]
        )
    return csv_text(CSV_COLUMNS, rows, stijl)


def to_xlsx(snapshot: RegioSnapshot, path: Path) -> None:
    """The regional workbook (`workbook.regio_workbook`), imported here as budget_table does."""
    from monitorbot.report.workbook import regio_workbook

    regio_workbook(snapshot).save(path)


def is_total(rij: RegioRij) -> bool:
    return rij.niveau in {Niveau.DOMEIN, Niveau.TOTAAL}


# --------------------------------------------------------------------------- the comparison

SUPPRESSED = "—"
"""A figure left out: it rests on fewer than 10 clients, or would let one be worked out."""


def format_kengetal(value: float | None, eenheid: str) -> str:
    """A comparison figure as a Dutch reader expects it: € 11.234, 12,3 %, 52,1."""
    if value is None:
        return SUPPRESSED
    if eenheid == "€":
        return f"€ {format_euros(whole_cents(value * 100))}"
    if eenheid == "%":
        return f"{format_number(value * 100, 1)} %"
    return format_number(value, 1)


def benchmark_header(snapshot: RegioSnapshot) -> list[str]:
    return [
        "kengetal",
        *(lid.naam for lid in snapshot.leden),
        REGIO_LABEL,
        "mediaan",
        "middelste helft",
    ]


def benchmark_rows(snapshot: RegioSnapshot) -> list[list[str]]:
    """One row per figure; a member that stands out is marked ↑ (above) or ↓ (below)."""
    rows = []
    for kengetal in snapshot.kengetallen:
        unit = kengetal.eenheid
        cells = []
        for lid in snapshot.leden:
            value = kengetal.waarde(lid.gemeente)
            text = format_kengetal(value, unit)
            if (
                lid.gemeente in kengetal.afwijkers
                and value is not None
                and kengetal.mediaan is not None
            ):
                text += " ↑" if value > kengetal.mediaan else " ↓"
            cells.append(text)
        middle = (
            f"{format_kengetal(kengetal.kwartiel_laag, unit)} – "
            f"{format_kengetal(kengetal.kwartiel_hoog, unit)}"
            if kengetal.kwartiel_laag is not None
            else ""
        )
        rows.append(
            [
                kengetal.titel,
                *cells,
                format_kengetal(kengetal.regio, unit),
                format_kengetal(kengetal.mediaan, unit),
                middle,
            ]
        )
    return rows


def benchmark_title(snapshot: RegioSnapshot) -> str:
    periode = f", {snapshot.kengetallen_periode}" if snapshot.kengetallen_periode else ""
    return (
        f"{snapshot.naam}: de gemeenten vergeleken{periode} (prognose: {snapshot.peildatum.label})"
    )


def benchmark_notes() -> list[str]:
    return [
        f"{SUPPRESSED}: weggelaten, want het rust op minder dan 10 cliënten of zou zo'n cijfer "
        "via het regiocijfer verraden; of onbekend (geen inwonertal, norm of gegevens).",
        "↑ / ↓: wijkt af van de andere gemeenten (buiten de middelste helft en ver van de "
        "mediaan).",
        f"{REGIO_LABEL}: de regio als geheel (de tellingen van alle gemeenten samen).",
    ]


def benchmark_table(snapshot: RegioSnapshot) -> str:
    """The comparison as plain text, one figure per row."""
    head = benchmark_header(snapshot)
    body = benchmark_rows(snapshot)
    widths = [max(len(r[i]) for r in [head, *body]) for i in range(len(head))]

    def line(row: list[str]) -> str:
        return "  ".join(
            [
                row[0].ljust(widths[0]),
                *(c.rjust(w) for c, w in zip(row[1:], widths[1:], strict=True)),
            ]
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    out = [benchmark_title(snapshot), "", line(head), rule, *(line(r) for r in body)]
    return "\n".join([*out, "", *benchmark_notes()]) + "\n"


def benchmark_csv(snapshot: RegioSnapshot, stijl: CsvStijl = CsvStijl.EXCEL_NL) -> str:
    """One line per figure and gemeente (and the region): exact values, empty where left out."""
    rows = []
    for kengetal in snapshot.kengetallen:
        for code, value in (*kengetal.waarden, ("regio", kengetal.regio)):
            rows.append(
                [
                    kengetal.naam,
                    kengetal.titel,
                    code,
                    snapshot.naam if code == "regio" else snapshot.naam_van(code),
                    None if value is None else Decimal(repr(round(value, 6))),
                    kengetal.eenheid,
                    "ja" if code in kengetal.afwijkers else "",
                ]
            )
    header = ["kengetal", "titel", "gemeente", "gemeente_naam", "waarde", "eenheid", "wijkt_af"]
    return csv_text(header, rows, stijl)
