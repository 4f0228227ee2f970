"""`monitorbot ingest PATH...` and `monitorbot findings`."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from monitorbot.cli.options import OptionalGemeenteOption
from monitorbot.cli.runtime import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    console,
    err_console,
    runtime_of,
)
from monitorbot.core.money import format_euros
from monitorbot.core.states import BestandStatus, Bevindingsoort

if TYPE_CHECKING:
    from monitorbot.app import App
    from monitorbot.ingest.pipeline import FileReport, IngestReport

# The ingest pipeline (lxml, the schemas) and the database are imported when a
# command runs, not when the command line starts (tests/test_cli_startup.py).


def _period(report: FileReport) -> str:
    if not report.periode_van:
        return ""
    return f"{report.periode_van:%Y-%m}..{report.periode_tot:%Y-%m}"


def print_report(report: IngestReport, *, per_file: bool = True) -> None:
    from rich.table import Table

    if per_file:
        table = Table(title="Ingelezen bestanden", show_lines=False)
        for column in (
            "bestand",
            "status",
            "soort",
            "gemeente",
            "regels",
            "bedrag (€)",
            "periode",
            "bevindingen",
        ):
            table.add_column(
                column,
                justify="right" if column in {"regels", "bedrag (€)", "bevindingen"} else "left",
            )
        for f in report.bestanden:
            table.add_row(
                Path(f.naam.split("!")[-1]).name,
                f.status,
                f.soort,
                f.gemeente or "",
                str(f.regels),
                format_euros(f.bedrag_cents, decimals=2),
                _period(f),
                str(f.bevindingen),
            )
        console.print(table)
    for f in report.bestanden:
        if f.status == BestandStatus.GEWEIGERD:
            console.print(f"[red]Geweigerd:[/] {f.naam}", markup=True)
            for problem in f.problemen:
                console.print(f"  {problem}", markup=False)
    totals = report.as_dict()["totaal"]
    console.print(
        f"Totaal: {totals['bestanden']} bestanden — {totals['ingelezen']} ingelezen, "
        f"{totals['al_ingelezen']} al ingelezen, {totals['geweigerd']} geweigerd; "
        f"{totals['regels']} regels, € {format_euros(totals['bedrag_cents'], decimals=2)}; "
        f"periode {totals['periode_van'] or '-'} t/m {totals['periode_tot'] or '-'}; "
        f"{totals['bevindingen']} bevindingen; {report.duur_seconden:.1f} s"
    )
    if report.niet_ingedeeld_regels:
        console.print(
            f"Niet ingedeeld: {report.niet_ingedeeld_regels} regels, "
            f"€ {format_euros(report.niet_ingedeeld_cents, decimals=2)} "
            "(zie `monitorbot findings --soort niet_ingedeeld`; vul config/percelen.yaml aan)"
        )


def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path], typer.Argument(help="Bestanden, mappen of zip-archieven.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Geen voortgangsbalk.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Samenvatting als JSON.")] = False,
) -> None:
    """Lees declaraties (323), zorgberichten (301/305/307/315), exports en PGB-totalen in.

    Exit 1 als er iets geweigerd is (het staat dan in de quarantainemap met een
    .error.txt); de overige bestanden zijn wel ingelezen.
    """
    from sqlalchemy.exc import SQLAlchemyError

    missing = [p for p in paths if not p.exists()]
    if missing:
        err_console.print(f"Bestaat niet: {', '.join(map(str, missing))}")
        raise typer.Exit(EXIT_USAGE)
    runtime = runtime_of(ctx)
    show_bar = not quiet and not as_json and sys.stdout.isatty()
    try:
        if show_bar:
            report = _ingest_with_progress(runtime, paths)
        else:
            report = runtime.ingestor().run(paths)
    except (SQLAlchemyError, OSError) as exc:
        from monitorbot.store.faults import EXIT_FAULT, describe

        message = describe(exc, database=runtime.settings.resolved_database_url())
        err_console.print(
            f"{message} De run is gestopt: wat al vastgelegd was blijft staan, de overige "
            "bestanden staan nog op hun plek.",
            markup=False,
        )
        raise typer.Exit(EXIT_FAULT) from None
    if as_json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
    else:
        print_report(report, per_file=len(report.bestanden) <= 50)
    raise typer.Exit(EXIT_REJECTED if report.geweigerd else EXIT_OK)


def _ingest_with_progress(runtime: App, paths: list[Path]) -> IngestReport:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from monitorbot.ingest.pipeline import iter_paths

    total = sum(1 for _ in iter_paths(paths))
    progress = Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[regels]} regels ({task.fields[rate]}/s)"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console,
        transient=True,
    )
    with progress:
        task = progress.add_task("Inlezen", total=total, regels=0, rate=0)
        counted = {"regels": 0}

        def advance(result: FileReport) -> None:
            counted["regels"] += result.regels
            elapsed = progress.tasks[0].elapsed or 1e-9
            progress.update(
                task, advance=1, regels=counted["regels"], rate=int(counted["regels"] / elapsed)
            )

        return runtime.ingestor(on_file_done=advance).run(paths)


def findings(
    ctx: typer.Context,
    gemeente: OptionalGemeenteOption = None,
    soort: Annotated[str | None, typer.Option(help=f"Soort: {', '.join(Bevindingsoort)}.")] = None,
    sinds: Annotated[str | None, typer.Option(help="Vanaf datum (jjjj-mm-dd).")] = None,
    limit: Annotated[int, typer.Option(help="Maximaal aantal regels.")] = 50,
) -> None:
    """Toon datakwaliteitsbevindingen: per soort geteld, en de laatste details."""
    from rich.table import Table
    from sqlalchemy import func, select

    from monitorbot.store import db, models

    if sinds:
        try:
            date.fromisoformat(sinds)
        except ValueError:
            err_console.print(f"--sinds {sinds!r} is geen datum; gebruik JJJJ-MM-DD")
            raise typer.Exit(EXIT_USAGE) from None
    if soort and soort not in {kind.value for kind in Bevindingsoort}:
        err_console.print(f"Onbekende soort {soort!r}; kies uit: {', '.join(Bevindingsoort)}")
        raise typer.Exit(EXIT_USAGE)
    runtime = runtime_of(ctx)
    engine = runtime.engine()
    finding = models.Bevinding
    conditions = []
    if gemeente:
        conditions.append(finding.gemeente_code == gemeente)
    if soort:
        conditions.append(finding.soort == soort)
    if sinds:
        from monitorbot.store.queries.known import moment_of

        try:
            day = date.fromisoformat(sinds)
        except ValueError:
            err_console.print(f"--sinds {sinds!r} is geen datum; gebruik JJJJ-MM-DD")
            raise typer.Exit(EXIT_USAGE) from None
        # Midnight where the user is, not in UTC.
        conditions.append(finding.gevonden_op >= moment_of(day, runtime.config.deployment.tijdzone))
    with db.transaction(engine) as session:
        counts = session.execute(
            select(finding.soort, func.count(), func.sum(finding.bedrag_cents))
            .where(*conditions)
            .group_by(finding.soort)
            .order_by(finding.soort)
        ).all()
        rows = session.execute(
            select(finding, models.Bronbestand.bestandsnaam)
            .join(models.Bronbestand, models.Bronbestand.id == finding.bestand_id, isouter=True)
            .where(*conditions)
            .order_by(finding.id.desc())
            .limit(limit)
        ).all()
    if not counts:
        console.print("Geen bevindingen.")
        return
    summary = Table(title="Bevindingen per soort")
    for column in ("soort", "aantal", "bedrag (€)", "betekenis"):
        summary.add_column(
            column, justify="right" if column in {"aantal", "bedrag (€)"} else "left"
        )
    for kind, count, cents in counts:
        amount = format_euros(int(cents), decimals=2) if cents else ""
        summary.add_row(kind, str(count), amount, Bevindingsoort.label_of(kind))
    console.print(summary)
    console.print(f"Laatste {len(rows)} bevindingen:")
    for item, filename in rows:
        where = Path((filename or "").split("!")[-1]).name
        if item.regel:
            where += f", regel {item.regel}"
        if item.element:
            where += f", {item.element}"
            if item.waarde:
                where += f" = {item.waarde!r}"
        console.print(
            f"  [{item.gemeente_code or '----'}] {item.soort}: {where}: {item.omschrijving}",
            markup=False,
        )
