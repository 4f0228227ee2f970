"""`monitorbot regio ...`: a region's members side by side, and the region's monthly cycle."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitorbot.cli.options import AsOfOption, peildatum_of
from monitorbot.cli.report_cmd import Format
from monitorbot.cli.runtime import (
    EXIT_REJECTED,
    EXIT_USAGE,
    console,
    err_console,
    print_delivery,
    runtime_of,
)
from monitorbot.report.csv_text import CsvStijl

if TYPE_CHECKING:
    from monitorbot.app import App
    from monitorbot.core.calendar import Peildatum
    from monitorbot.evaluate.regio_snapshot import RegioSnapshot
    from monitorbot.service.regio import RegioCycle

app = typer.Typer(
    help="Een regio: de gemeenten naast elkaar en opgeteld, en de maandcyclus van de regio.",
    no_args_is_help=True,
)


def _configured_regio(ctx: typer.Context, value: str | None) -> str | None:
    """Every `--regio` is checked once: an unknown name is refused with the configured ones."""
    if value is not None and not ctx.resilient_parsing:
        runtime_of(ctx).config.regio(value)
    return value


RegioOption = Annotated[
    str,
    typer.Option(
        "--regio",
        help="Naam van de regio (config/regio/<naam>.yaml).",
        callback=_configured_regio,
        is_eager=True,
    ),
]
ProcessesOption = Annotated[
    int | None,
    typer.Option(
        "--processen",
        min=1,
        help="Gemeenten die tegelijk worden geëvalueerd (standaard: elke kern; met "
        "--dask lokaal het aantal workers).",
        show_default=False,
    ),
]


def regio_snapshot_at(runtime: App, regio: str, peildatum: Peildatum) -> RegioSnapshot:
    """The region's stored snapshot at the peildatum, else read now from the members'."""
    from monitorbot.service.regio import region_at

    return region_at(
        runtime.engine(),
        runtime.config,
        runtime.forecast_spec(),
        regio,
        peildatum,
        now=runtime.clock(),
    )


@app.command("tabel")
def tabel(
    ctx: typer.Context,
    regio: RegioOption,
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
    """Per perceel elke gemeente en de regio: begroting, prognose met interval, restant, V/N."""
    from monitorbot.report import regio_table

    runtime = runtime_of(ctx)
    snapshot = regio_snapshot_at(runtime, regio, peildatum_of(runtime, as_of))
    if output_format is Format.xlsx:
        if out is None:
            err_console.print("--format xlsx heeft --out BESTAND nodig")
            raise typer.Exit(EXIT_USAGE)
        regio_table.to_xlsx(snapshot, out)
        console.print(f"Geschreven: {out}", markup=False)
        return
    text = {
        Format.table: regio_table.to_table,
        Format.markdown: regio_table.to_markdown,
        Format.csv: lambda s: regio_table.to_csv(s, CsvStijl.EXCEL_NL),
        Format.csv_punt: lambda s: regio_table.to_csv(s, CsvStijl.PUNT),
    }[output_format](snapshot)
    if out is not None:
        out.write_text(text, encoding="utf-8")
        console.print(f"Geschreven: {out}", markup=False)
    else:
        print(text, end="")


@app.command("vergelijk")
def vergelijk(
    ctx: typer.Context,
    regio: RegioOption,
    as_of: AsOfOption = None,
    output_format: Annotated[
        Format,
        typer.Option("--format", help="table, csv (Excel) of csv-punt (scripts)."),
    ] = Format.table,
) -> None:
    """De gemeenten naast elkaar: per 1.000 inwoners of jeugdigen, per cliënt, met de mediaan."""
    from monitorbot.report import regio_table

    if output_format not in {Format.table, Format.csv, Format.csv_punt}:
        err_console.print("--format: kies table, csv of csv-punt")
        raise typer.Exit(EXIT_USAGE)
    runtime = runtime_of(ctx)
    snapshot = regio_snapshot_at(runtime, regio, peildatum_of(runtime, as_of))
    if output_format is Format.table:
        print(regio_table.benchmark_table(snapshot), end="")
        return
    stijl = CsvStijl.EXCEL_NL if output_format is Format.csv else CsvStijl.PUNT
    print(regio_table.benchmark_csv(snapshot, stijl), end="")


DaskOption = Annotated[
    str | None,
    typer.Option(
        "--dask",
        help="Evalueer de gemeenten op een Dask-cluster: het adres van de scheduler "
        "(tcp://host:8786), of 'lokaal' voor een cluster op deze machine. Alleen met "
        "PostgreSQL; vraagt de extra 'dask' (pip install 'monitorbot[dask]').",
        show_default=False,
    ),
]


@app.command("cyclus")
def cyclus(
    ctx: typer.Context,
    regio: RegioOption,
    as_of: AsOfOption = None,
    processen: ProcessesOption = None,
    dask: DaskOption = None,
) -> None:
    """Evalueer elke gemeente van de regio (tegelijk), dan de regio uit hun momentopnamen."""
    from monitorbot.app import Refused
    from monitorbot.service.regio import DaskOnSqlite

    runtime = runtime_of(ctx)
    peildatum = peildatum_of(runtime, as_of)
    if dask is not None:
        _dask_installed()
        if dask != "lokaal" and processen is not None:
            raise Refused(
                "--processen geldt niet voor een bestaand Dask-cluster: dat heeft zijn eigen "
                "workers (met --dask lokaal is het hun aantal)"
            )
    try:
        result = run_regio_cycle(
            runtime, regio, peildatum, runtime.clock(), processes=processen, dask=dask
        )
    except DaskOnSqlite as refused:
        raise Refused(str(refused)) from None
    if result.mislukt or result.bezorging.permanent:
        raise typer.Exit(EXIT_REJECTED)


def _dask_installed() -> None:
    from importlib.util import find_spec

    from monitorbot.app import Refused

    if find_spec("distributed") is None:
        raise Refused("--dask vraagt Dask: pip install 'monitorbot[dask]'")


def run_regio_cycle(
    runtime: App,
    regio: str,
    peildatum: Peildatum,
    now: datetime,
    *,
    processes: int | None = None,
    skip_unconfigured: bool = False,
    dask: str | None = None,
) -> RegioCycle:
    """The cycle with a line per member and the regional table (the demo runs this too)."""
    from time import perf_counter

    from monitorbot.report import regio_table
    from monitorbot.service.regio import regio_cycle

    engine = runtime.engine()  # the schema is upgraded once, before the members' processes
    if engine.dialect.name == "sqlite" and dask is None:
        console.print("SQLite heeft één schrijver: de gemeenten komen één voor één aan de beurt.")
    started = perf_counter()
    result = regio_cycle(
        runtime.settings,
        regio,
        now=now,
        peildatum=peildatum,
        processes=processes,
        skip_unconfigured=skip_unconfigured,
        dask=dask,
    )
    for run in result.leden:
        naam = runtime.config.gemeente(run.gemeente).naam
        if run.fout:
            err_console.print(
                f"  {naam} ({run.gemeente}): evaluatie mislukt ({run.fout}); de regio leest "
                "de cijfers die haar rapporten zouden tonen.",
                markup=False,
            )
            continue
        where = f" op Dask-worker {run.dask_worker}" if run.dask_worker else ""
        console.print(
            f"  {naam} ({run.gemeente}): {run.actief} signalering(en) actief, "
            f"{run.klaargezet} bericht(en) klaargezet, {run.seconden:.1f} s{where}",
            markup=False,
        )
        for line in run.niet_bezorgd:
            err_console.print(f"    mislukt (definitief): {line}", markup=False)
    console.print(
        f"Regio {regio}: {len(result.leden)} gemeenten in {perf_counter() - started:.1f} s; "
        f"regiodigest: {result.klaargezet} bericht(en) klaargezet.",
        markup=False,
    )
    members_skipped = [line for run in result.leden for line in run.overgeslagen]
    print_delivery(None, result.bezorging, skipped=[*members_skipped, *result.overgeslagen])
    if result.snapshot is not None:
        console.print()
        console.print(regio_table.to_table(result.snapshot), markup=False, end="")
        console.print()
        console.print(regio_table.benchmark_table(result.snapshot), markup=False, end="")
    return result
