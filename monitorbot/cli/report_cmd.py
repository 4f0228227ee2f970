"""`monitorbot report ...`: the begroting against the prognosis, and what lies behind it."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitorbot.cli.options import AsOfOption, GemeenteOption, day_of, peildatum_of
from monitorbot.cli.runtime import (
    EXIT_USAGE,
    console,
    err_console,
    runtime_of,
)
from monitorbot.core.money import exact_euros, format_euros, format_percentage
from monitorbot.report.csv_text import CsvStijl

if TYPE_CHECKING:
    from monitorbot.app import App
    from monitorbot.core.calendar import Peildatum
    from monitorbot.evaluate.snapshot import Snapshot
    from monitorbot.forecast.mix import MixLine, ProviderMix
    from monitorbot.forecast.results import BudgetReport, Interval, MonthlyPrognosis

# The forecasting stack (pandas, statsmodels), the reports (openpyxl, matplotlib) and
# the database are imported inside the commands that use them: the command line
# starts without them (tests/test_cli_startup.py).

app = typer.Typer(help="Rapporten voor controllers en de gemeenteraad.", no_args_is_help=True)


class Format(StrEnum):
    table = "table"
    markdown = "markdown"
    csv = "csv"  # Excel-NL: ';' and decimal comma
    csv_punt = "csv-punt"  # scripts: ',' and decimal point
    xlsx = "xlsx"


def budget_report(runtime: App, gemeente: str, year: int, peildatum: Peildatum) -> BudgetReport:
    from monitorbot.forecast.prognosis import build_budget_report
    from monitorbot.store import db

    runtime.begroting_jaar(gemeente, year)
    spec = runtime.forecast_spec()
    with db.transaction(runtime.engine()) as session:
        return build_budget_report(session, runtime.config, spec, gemeente, year, peildatum)


@app.command("budget")
def budget(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    year: Annotated[int, typer.Option("--year", help="Begrotingsjaar.")],
    as_of: AsOfOption = None,
    output_format: Annotated[
        Format,
        typer.Option(
            "--format",
            help="Uitvoervorm; csv is voor Excel (';' en decimale komma), csv-punt voor scripts.",
        ),
    ] = Format.table,
    out: Annotated[Path | None, typer.Option("--out", help="Schrijf naar dit bestand.")] = None,
) -> None:
    """Begroting, prognose, restant, V/N en afwijking per perceel, per domein en totaal."""
    from monitorbot.report import budget_table

    runtime = runtime_of(ctx)
    report = budget_report(runtime, gemeente, year, peildatum_of(runtime, as_of))
    if output_format is Format.xlsx:
        if out is None:
            err_console.print("--format xlsx heeft --out BESTAND nodig")
            raise typer.Exit(EXIT_USAGE)
        budget_table.to_xlsx(report, out)
        console.print(f"Geschreven: {out}")
        return
    render = {
        Format.table: budget_table.to_table,
        Format.markdown: budget_table.to_markdown,
        Format.csv: lambda r: budget_table.to_csv(r, CsvStijl.EXCEL_NL),
        Format.csv_punt: lambda r: budget_table.to_csv(r, CsvStijl.PUNT),
    }[output_format]
    text = render(report)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"Geschreven: {out}")
    else:
        print(text, end="")


@app.command("all")
def all_reports(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    as_of: AsOfOption = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Map voor de rapporten (standaard <datamap>/rapporten)."),
    ] = None,
) -> None:
    """De werkmap voor controllers (xlsx) en één HTML-pagina voor het kernteam."""
    runtime = runtime_of(ctx)
    folder = out or runtime.data_path(runtime.config.deployment.rapporten)
    xlsx, page = write_reports(runtime, gemeente, peildatum_of(runtime, as_of), folder)
    console.print(f"Werkmap (Excel): {xlsx}", markup=False)
    console.print(f"Rapport (HTML):  {page}", markup=False)


def write_reports(
    runtime: App, gemeente: str, peildatum: Peildatum, folder: Path
) -> tuple[Path, Path]:
    """Both reports from one snapshot, so they show the figures the messages show."""
    from monitorbot.evaluate.engine import report_snapshot
    from monitorbot.store import db

    runtime.begroting_jaar(gemeente, peildatum.jaar)
    spec = runtime.forecast_spec()
    with db.transaction(runtime.engine()) as session:
        snapshot = report_snapshot(
            session, runtime.config, spec, gemeente, peildatum, now=runtime.clock()
        )
    return write_snapshot_reports(snapshot, folder, made=runtime.clock())


def write_snapshot_reports(
    snapshot: Snapshot, folder: Path, *, made: datetime
) -> tuple[Path, Path]:
    """The workbook and the HTML page of one snapshot, named after municipality and peildatum
    (`monitorbot-9999-2026-11-10.xlsx`/`.html`); the demo and the monthly cycle call this too."""
    from monitorbot.report import html_report, workbook

    folder.mkdir(parents=True, exist_ok=True)
    xlsx = workbook.write_workbook(snapshot, folder / f"{snapshot.stem}.xlsx")
    page = html_report.write_html(snapshot, folder / f"{snapshot.stem}.html", made=made)
    return xlsx, page


def backtest(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    years: Annotated[list[int], typer.Option("--years", help="Jaren, bv. --years 2023 2024.")],
    today: Annotated[
        str | None,
        typer.Option(
            "--vandaag",
            help="Wat als 'definitief' telt: de data zoals bekend op deze datum "
            "(JJJJ-MM-DD; standaard vandaag).",
        ),
    ] = None,
) -> None:
    """Hoe goed was de prognose? Herhaal elke maand met de data van toen en vergelijk."""
    from monitorbot.forecast.backtest import run_backtest
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    years = sorted({*years, *(int(extra) for extra in ctx.args if extra.isdigit())})
    known = day_of(today, "--vandaag") if today else runtime.clock().date()
    config = runtime.config
    spec = runtime.forecast_spec()
    with db.transaction(runtime.engine()) as session:
        try:
            result = run_backtest(session, config, spec, gemeente, years, today=known)
        except ValueError as exc:
            err_console.print(str(exc))
            raise typer.Exit(EXIT_USAGE) from None
    console.print(
        f"Backtest {runtime.gemeente(gemeente).naam} ({gemeente}), jaren "
        f"{', '.join(map(str, years))}; 'definitief' = bekend op {known:%d-%m-%Y}"
    )
    console.print("Gemiddelde absolute fout (MAPE) van de jaarprognose per peilmaand;")
    console.print("naïef = gedeclareerd tot en met de peilmaand × 12 / maand;")
    console.print(
        "orakel = de maanden tot en met de peilmaand zoals ze definitief werden, opgehoogd "
        "met hun aandeel in het jaar ervoor (beter kan een prognose op dat moment niet)."
    )
    console.print(
        f"{'maand':>5}  {'n':>3}  {'model':>7}  {'naïef':>7}  {'ratio':>6}  {'orakel':>7}  "
        f"{'×orakel':>7}  {'80%-dekking':>11}  {'95%-dekking':>11}"
    )
    for row in result.by_month():
        console.print(
            f"{row['maand']:>5}  {row['n']:>3}  {_percent(row['mape_model']):>7}  "
            f"{_percent(row['mape_naief']):>7}  {_factor(row['ratio']):>6}  "
            f"{_percent(row['mape_orakel']):>7}  {_factor(row['ratio_orakel']):>7}  "
            f"{format_percentage(row['dekking_80']):>11}  "
            f"{format_percentage(row['dekking_95']):>11}"
        )
    for label, months in (("maand 1–6", range(1, 7)), ("maand 7–12", range(7, 13))):
        covered_80, covered_95, count = result.coverage(months)
        if count:
            console.print(
                f"{label}: 80%-interval bevat de uitkomst in {format_percentage(covered_80)}, "
                f"95%-interval in {format_percentage(covered_95)} van {count} herhalingen."
            )


def _percent(value: float | int | None) -> str:
    return "-" if value is None else format_percentage(value, decimals=1)


def _factor(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.2f}".replace(".", ",")


@app.command("groei")
def groei(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    year: Annotated[int, typer.Option("--year", help="Jaar, vergeleken met het jaar ervoor.")],
    as_of: AsOfOption = None,
) -> None:
    """Waarom stijgen de kosten? Groei per perceel: top-10, aantal cliënten, kosten per cliënt.

    Een lopend jaar wordt vergeleken met dezelfde maanden van het vorige jaar.
    """
    from monitorbot.core.calendar import MONTH_NAMES, through_month
    from monitorbot.forecast.results import decompose
    from monitorbot.forecast.why import year_on_year
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    config = runtime.config
    settings = runtime.gemeente(gemeente)
    peildatum = peildatum_of(runtime, as_of)
    known = peildatum.grens
    through = through_month(known, year)
    threshold = config.deployment.hoge_kosten_grens
    console.print(
        f"Kostengroei {settings.naam} ({gemeente}) {year} t.o.v. {year - 1}, "
        f"zorgmaanden januari t/m {through}, {peildatum.label} (voor {year - 1}: "
        "dezelfde dag een jaar eerder)"
    )
    with db.transaction(runtime.engine()) as session:
        for perceel in config.percelen.percelen:
            if perceel.onderdeel_van or perceel.soort != "zin":
                continue
            # Equal vintage: last year as it was known a year earlier, so both years are
            # equally (in)complete and late declarations do not fake a slowdown.
            figures = year_on_year(
                session,
                gemeente,
                config.percelen.members(perceel.id),
                year,
                known,
                high_cost_cents=threshold,
            )
            if not figures[0].kosten_cents or not figures[1].kosten_cents:
                continue
            pct = settings.indexatie_pct(year, perceel.id)
            including = decompose(*figures)
            excluding = decompose(*figures, indexatie=pct / 100)
            current = figures[1]
            console.print(
                f"\n{perceel.naam}: € {format_euros(figures[0].kosten_cents)} → "
                f"€ {format_euros(current.kosten_cents)}; {current.clienten} cliënten, "
                f"€ {format_euros(round(current.kosten_per_client))} per cliënt; "
                f"top-10 {current.top10_aandeel:.0%} van de kosten; "
                f"{current.boven_grens} cliënt(en) boven "
                f"€ {format_euros(threshold)} in januari t/m {MONTH_NAMES[through - 1]} "
                "(de signalering hoge-kostengevallen kijkt naar de laatste 12 maanden)"
            )
            console.print(f"  {including.zin()}")
            console.print(f"  {excluding.zin()}")


@app.command("aanbieders")
def aanbieders(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    year: Annotated[int, typer.Option("--year", help="Jaar.")],
    as_of: AsOfOption = None,
) -> None:
    """Aanbieders met een budgetindicatie: prognose, restant en de maand van overschrijding."""
    from monitorbot.forecast.prognosis import provider_prognoses
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    config = runtime.config
    peildatum = peildatum_of(runtime, as_of)
    spec = runtime.forecast_spec()
    with db.transaction(runtime.engine()) as session:
        rows = provider_prognoses(session, config, spec, gemeente, year, peildatum.grens)
    if not rows:
        console.print(f"Geen budgetindicaties voor {year} in de configuratie van {gemeente}.")
        return
    console.print(
        f"Aanbieders met een budgetindicatie {year}, prognose {peildatum.label}; bedragen × € 1.000"
    )
    header = (
        f"{'aanbieder':<40} {'indicatie':>9} {'prognose':>9} {'80%-interval':>15} "
        f"{'restant':>8} {'%':>5}  overschrijding"
    )
    console.print(header, markup=False)
    for row in rows:
        k = lambda cents: format_euros(round(cents), thousands=True)  # noqa: E731
        interval = f"{k(row.model.lo80)}–{k(row.model.hi80)}" if row.model else ""
        pct = format_percentage(row.afwijking) if row.afwijking is not None else ""
        state = row.overschrijding(peildatum)
        crossing = f"{state} in {row.overschrijding_maand:%m-%Y}" if state else ""
        console.print(
            f"{row.naam[:40]:<40} {k(row.budgetindicatie_cents):>9} "
            f"{k(row.model.mid) if row.model else '':>9} {interval:>15} "
            f"{k(row.restant_cents) if row.restant_cents is not None else '':>8} "
            f"{pct:>5}  {crossing}",
            markup=False,
        )


class TableFormat(StrEnum):
    table = "table"
    csv = "csv"
    csv_punt = "csv-punt"


@app.command("mix")
def mix(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    year: Annotated[int, typer.Option("--year", help="Jaar.")],
    as_of: AsOfOption = None,
    top: Annotated[
        int, typer.Option("--top", min=1, help="Aanbieders per perceel; de rest als 'overige'.")
    ] = 5,
) -> None:
    """Mix per perceel: kosten en unieke cliënten, hun aandeel, en de grootste aanbieders."""
    from monitorbot.core.calendar import through_month
    from monitorbot.forecast.mix import perceel_mix, provider_mix
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    settings = runtime.gemeente(gemeente)
    peildatum = peildatum_of(runtime, as_of)
    known = peildatum.grens
    through = through_month(known, year)
    with db.transaction(runtime.engine()) as session:
        lines = perceel_mix(
            session,
            runtime.config.percelen,
            gemeente,
            year,
            through_month=through,
            known_before=known,
        )
        providers = provider_mix(
            session,
            runtime.config,
            gemeente,
            year,
            top=top,
            through_month=through,
            known_before=known,
        )
    title = (
        f"Mix per perceel {settings.naam} ({gemeente}), zorgmaanden 01-{year} t/m "
        f"{through:02d}-{year}, {peildatum.label}; bedragen in €"
    )
    print(mix_text(title, lines, providers, top), end="")


def mix_text(
    title: str, lines: tuple[MixLine, ...], providers: tuple[ProviderMix, ...], top: int
) -> str:
    """The mix as console text: the perceel table, then each perceel's providers."""
    pct = lambda share: format_percentage(share, decimals=1)  # noqa: E731
    width = max([len("perceel"), *(len(line.naam) + 2 for line in lines)])
    out = [
        title,
        "Alleen declaraties (zorg in natura); PGB en eigen bijdrage staan in 'report budget'.",
        "Een cliënt kan in meer percelen zorg krijgen: "
        "de aandelen cliënten tellen niet op tot 100%.",
        "",
        f"{'':<{width}}  {' kosten ':-^32}  {' unieke cliënten ':-^28}",
        f"{'perceel':<{width}}  {'€':>12}  {'% domein':>8}  {'% totaal':>8}"
        f"  {'aantal':>8}  {'% domein':>8}  {'% totaal':>8}",
    ]
    rule = "-" * (width + 2 + 32 + 2 + 28)
    out.append(rule)
    previous = ""
    for line in lines:
        naam = f"  {line.naam}" if line.niveau == "onderdeel" else line.naam
        if line.niveau in {"domein", "totaal"} and previous not in {"domein", "totaal"}:
            out.append(rule)
        previous = line.niveau
        out.append(
            f"{naam:<{width}}  {format_euros(line.kosten_cents):>12}  "
            f"{pct(line.kosten_aandeel_domein):>8}  {pct(line.kosten_aandeel_totaal):>8}  "
            f"{line.clienten:>8}  {pct(line.clienten_aandeel_domein):>8}  "
            f"{pct(line.clienten_aandeel_totaal):>8}"
        )
    out += ["", f"Aanbieders per perceel (top {top}; aandeel in de kosten van het perceel)"]
    for block in providers:
        indent = "  " if block.niveau == "onderdeel" else ""
        out += ["", f"{indent}{block.naam}: € {format_euros(block.kosten_cents)}"]
        for share in block.aanbieders:
            naam = share.naam if share.agb else f"overige ({share.aantal} aanbieders)"
            out.append(
                f"{indent}  {naam[:44]:<44}  € {format_euros(share.kosten_cents):>11}  "
                f"{pct(share.aandeel):>7}"
            )
    return "".join(f"{line.rstrip()}\n" for line in out)


@app.command("maanden")
def maanden(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    year: Annotated[int, typer.Option("--year", help="Jaar.")],
    perceel: Annotated[
        str, typer.Option("--perceel", help="Perceel uit config/percelen.yaml, bv. jeugd-zin.")
    ],
    as_of: AsOfOption = None,
    output_format: Annotated[
        TableFormat,
        typer.Option(
            "--format",
            help="Uitvoervorm; csv is voor Excel (';' en decimale komma), csv-punt voor scripts.",
        ),
    ] = TableFormat.table,
) -> None:
    """Per zorgmaand: gedeclareerd, verwacht compleet, en de prognose met 80%-interval."""
    from monitorbot.forecast.prognosis import monthly_prognosis
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    config = runtime.config
    settings = runtime.gemeente(gemeente)
    if perceel not in config.percelen.ids:
        err_console.print(
            f"--perceel {perceel!r} bestaat niet; toegestaan: {', '.join(config.percelen.ids)}",
            markup=False,
        )
        raise typer.Exit(EXIT_USAGE)
    spec = runtime.forecast_spec()
    peildatum = peildatum_of(runtime, as_of)
    with db.transaction(runtime.engine()) as session:
        months = monthly_prognosis(session, config, spec, gemeente, perceel, year, peildatum)
    if output_format in (TableFormat.csv, TableFormat.csv_punt):
        print(months_csv(months, CsvStijl(output_format.value)), end="")
    else:
        print(months_table(months, f"{settings.naam} ({gemeente})", peildatum.label), end="")


MONTHS_CSV_COLUMNS = ["maand", "gedeclareerd", "verwacht_compleet", "prognose", "lo80", "hi80"]


def months_csv(months: MonthlyPrognosis, stijl: CsvStijl) -> str:
    """One row per care month, euros with two decimals; empty where a figure does not apply."""
    from monitorbot.report.csv_text import csv_text

    rows = (
        [
            f"{month.maand:%Y-%m}",
            exact_euros(month.gedeclareerd_cents),
            exact_euros(month.verwacht_compleet_cents),
            exact_euros(month.prognose.mid if month.prognose else None),
            exact_euros(month.prognose.lo80 if month.prognose else None),
            exact_euros(month.prognose.hi80 if month.prognose else None),
        ]
        for month in months.maanden
    )
    return csv_text(MONTHS_CSV_COLUMNS, rows, stijl)


def months_table(months: MonthlyPrognosis, gemeente: str, stand: str) -> str:
    """The months as console text, with the year's totals and the model's year figure."""
    euros = lambda cents: "" if cents is None else format_euros(round(cents))  # noqa: E731

    def band(interval: Interval | None) -> str:
        return "" if interval is None else f"{euros(interval.lo80)}–{euros(interval.hi80)}"

    header = (
        f"{'maand':<7}  {'gedeclareerd':>12}  {'verwacht compleet':>17}  "
        f"{'prognose':>12}  {'80%-interval':>23}"
    )
    out = [
        f"{months.naam} — {gemeente} {months.jaar} per zorgmaand, {stand}; bedragen in €",
        "verwacht compleet = gedeclareerd plus de nadeclaraties die nog worden verwacht; "
        "prognose = het model, voor de maanden zonder gegevens",
        "",
        header,
        "-" * len(header),
    ]
    for month in months.maanden:
        mid = month.prognose.mid if month.prognose else None
        out.append(
            f"{month.maand:%m-%Y}  {euros(month.gedeclareerd_cents):>12}  "
            f"{euros(month.verwacht_compleet_cents):>17}  {euros(mid):>12}  "
            f"{band(month.prognose):>23}"
        )
    past = [m for m in months.maanden if m.gedeclareerd_cents is not None]
    declared = sum(m.gedeclareerd_cents or 0.0 for m in past) if past else None
    expected = sum(m.verwacht_compleet_cents or 0.0 for m in past) if past else None
    whole = months.model
    out += [
        "-" * len(header),
        f"{'jaar':<7}  {euros(declared):>12}  {euros(expected):>17}  "
        f"{euros(whole.mid if whole else None):>12}  {band(whole):>23}",
    ]
    if months.modelnaam:
        out.append(f"model: {months.modelnaam}")
    if months.correctie is not None:
        c = months.correctie
        out.append(
            f"Let op: report budget gebruikt voor dit perceel de correctie van {c.door} "
            f"({c.datum:%d-%m-%Y}): € {euros(c.prognose)}"
        )
    return "".join(f"{line.rstrip()}\n" for line in out)
