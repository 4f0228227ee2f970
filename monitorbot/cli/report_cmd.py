"""`monitorbot report budget`: the begroting against the prognosis, per perceel."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from monitorbot.cli.runtime import EXIT_USAGE, Runtime, console, err_console, runtime_of
from monitorbot.config import ConfigError
from monitorbot.forecast.backtest import run_backtest
from monitorbot.forecast.prognosis import BudgetReport, build_budget_report, provider_prognoses
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.forecast.why import client_figures, decompose
from monitorbot.money import format_euros, format_percentage
from monitorbot.notify import budget_table
from monitorbot.store import db

app = typer.Typer(help="Rapporten voor controllers en de gemeenteraad.", no_args_is_help=True)


GemeenteOption = Annotated[str, typer.Option(help="CBS-code, bv. 0399.")]
AsOfOption = Annotated[
    str | None,
    typer.Option(
        "--as-of",
        help="Peilmaand JJJJ-MM: alleen wat tot en met die maand "
        "gedeclareerd was (standaard: alles wat nu bekend is).",
    ),
]


class Format(StrEnum):
    table = "table"
    markdown = "markdown"
    csv = "csv"
    xlsx = "xlsx"


def parse_month(text: str | None, *, today: date | None = None) -> date:
    """`--as-of YYYY-MM`: the data as known at the start of the month after it.

    "As of 2024-06" means: June is the last month whose declarations count, so
    everything declared before 1 July 2024. Without it: everything known today.
    """
    if text is None:
        return today or date.today()
    try:
        year, month = (int(part) for part in text.split("-"))
        first = date(year, month, 1)
    except ValueError:
        err_console.print(f"--as-of {text!r} is geen maand; gebruik JJJJ-MM, bv. 2024-06")
        raise typer.Exit(EXIT_USAGE) from None
    return date(first.year + first.month // 12, first.month % 12 + 1, 1)


def budget_report(runtime: Runtime, gemeente: str, year: int, as_of: date) -> BudgetReport:
    config = runtime.config
    try:
        config.gemeente(gemeente)
        spec = load_forecast_spec(runtime.settings.forecasts_dir)
    except ConfigError as exc:
        from monitorbot.cli.runtime import report_config_error

        report_config_error(exc)
        raise typer.Exit(EXIT_USAGE) from None
    with db.transaction(runtime.engine()) as session:
        return build_budget_report(session, config, spec, gemeente, year, as_of)


@app.command("budget")
def budget(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    year: Annotated[int, typer.Option("--year", help="Begrotingsjaar.")],
    as_of: AsOfOption = None,
    output_format: Annotated[Format, typer.Option("--format", help="Uitvoervorm.")] = Format.table,
    out: Annotated[Path | None, typer.Option("--out", help="Schrijf naar dit bestand.")] = None,
) -> None:
    """Begroting, prognose, restant, V/N en afwijking per perceel, per domein en totaal."""
    runtime = runtime_of(ctx)
    report = budget_report(runtime, gemeente, year, parse_month(as_of))
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
        Format.csv: budget_table.to_csv,
    }[output_format]
    text = render(report)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"Geschreven: {out}")
    else:
        print(text, end="")


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
    runtime = runtime_of(ctx)
    years = sorted({*years, *(int(extra) for extra in ctx.args if extra.isdigit())})
    known = date.fromisoformat(today) if today else date.today()
    config = runtime.config
    spec = load_forecast_spec(runtime.settings.forecasts_dir)
    config.gemeente(gemeente)
    with db.transaction(runtime.engine()) as session:
        try:
            result = run_backtest(session, config, spec, gemeente, years, today=known)
        except ValueError as exc:
            err_console.print(str(exc))
            raise typer.Exit(EXIT_USAGE) from None
    console.print(
        f"Backtest {config.gemeente(gemeente).naam} ({gemeente}), jaren "
        f"{', '.join(map(str, years))}; 'definitief' = bekend op {known:%d-%m-%Y}"
    )
    console.print("Gemiddelde absolute fout (MAPE) van de jaarprognose per peilmaand;")
    console.print("naïef = gedeclareerd tot en met de peilmaand × 12 / maand.")
    console.print(
        f"{'maand':>5}  {'n':>3}  {'model':>7}  {'naïef':>7}  {'ratio':>6}  {'80%-dekking':>11}"
    )
    for row in result.by_month():
        naive = f"{row['mape_naief']:.1%}" if row["mape_naief"] is not None else "-"
        ratio = f"{row['ratio']:.2f}" if row["ratio"] is not None else "-"
        console.print(
            f"{row['maand']:>5}  {row['n']:>3}  {row['mape_model']:>7.1%}  "
            f"{naive:>7}  {ratio:>6}  {row['dekking_80']:>11.0%}"
        )
    console.print(
        f"80%-interval bevat de uitkomst in {result.coverage_80:.0%} van "
        f"{len(result.replays)} herhalingen."
    )


def _same_day(day: date, years: int) -> date:
    """The same calendar day `years` later (29 February becomes the 28th)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@app.command("groei")
def groei(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    year: Annotated[int, typer.Option("--year", help="Jaar, vergeleken met het jaar ervoor.")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            help="Peilmaand JJJJ-MM; een lopend jaar wordt vergeleken met dezelfde "
            "maanden van het vorige jaar.",
        ),
    ] = None,
) -> None:
    """Waarom stijgen de kosten? Groei per perceel: top-10, aantal cliënten, kosten per cliënt."""
    runtime = runtime_of(ctx)
    config = runtime.config
    settings = config.gemeente(gemeente)
    known = parse_month(as_of)
    through = 12 if known.year > year else max(known.month - 1, 1)
    threshold = config.deployment.hoge_kosten_grens
    console.print(
        f"Kostengroei {settings.naam} ({gemeente}) {year} t.o.v. {year - 1}, "
        f"zorgmaanden januari t/m {through}, beide jaren zoals bekend op dezelfde dag "
        f"({known:%d-%m}; een jaar eerder voor {year - 1})"
    )
    with db.transaction(runtime.engine()) as session:
        for perceel in config.percelen.percelen:
            if perceel.onderdeel_van or perceel.soort != "zin":
                continue
            members = [
                perceel.id,
                *(p.id for p in config.percelen.percelen if p.onderdeel_van == perceel.id),
                # Equal vintage: last year as it was known a year earlier, so both years are
                # equally (in)complete and late declarations do not fake a slowdown.
            ]
            figures = [
                client_figures(
                    session,
                    gemeente,
                    members,
                    y,
                    high_cost_cents=threshold,
                    known_before=_same_day(known, y - year),
                    through_month=through,
                )
                for y in (year - 1, year)
            ]
            if not figures[0].kosten_cents or not figures[1].kosten_cents:
                continue
            index = settings.indexatie_voor(year, perceel.id)
            pct = (
                index.werkelijk
                if index and index.werkelijk is not None
                else index.begroot
                if index
                else 0.0
            )
            including = decompose(*figures)
            excluding = decompose(*figures, indexatie=pct / 100)
            current = figures[1]
            console.print(
                f"\n{perceel.naam}: € {format_euros(figures[0].kosten_cents)} → "
                f"€ {format_euros(current.kosten_cents)}; {current.clienten} cliënten, "
                f"€ {format_euros(round(current.kosten_per_client))} per cliënt; "
                f"top-10 {current.top10_aandeel:.0%} van de kosten; "
                f"{current.boven_grens} cliënt(en) boven "
                f"€ {format_euros(threshold)}"
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
    runtime = runtime_of(ctx)
    config = runtime.config
    config.gemeente(gemeente)
    known = parse_month(as_of)
    spec = load_forecast_spec(runtime.settings.forecasts_dir)
    with db.transaction(runtime.engine()) as session:
        rows = provider_prognoses(session, config, spec, gemeente, year, known)
    if not rows:
        console.print(f"Geen budgetindicaties voor {year} in de configuratie van {gemeente}.")
        return
    console.print(
        f"Aanbieders met een budgetindicatie {year}, prognose zoals bekend op "
        f"{known:%d-%m-%Y}; bedragen × € 1.000"
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
        crossing = ""
        if row.overschrijding_maand is not None:
            past = row.overschrijding_maand < known.replace(day=1)
            word = "overschreden in" if past else "verwacht in"
            crossing = f"{word} {row.overschrijding_maand:%m-%Y}"
        console.print(
            f"{row.naam[:40]:<40} {k(row.budgetindicatie_cents):>9} "
            f"{k(row.model.mid) if row.model else '':>9} {interval:>15} "
            f"{k(row.restant_cents) if row.restant_cents is not None else '':>8} "
            f"{pct:>5}  {crossing}",
            markup=False,
        )
