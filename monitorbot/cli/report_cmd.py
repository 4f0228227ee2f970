"""`monitorbot report budget`: the begroting against the prognosis, per perceel."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from monitorbot.cli.runtime import EXIT_USAGE, Runtime, console, err_console, runtime_of
from monitorbot.config import ConfigError
from monitorbot.forecast.prognosis import BudgetReport, build_budget_report
from monitorbot.forecast.spec import load_forecast_spec
from monitorbot.notify import budget_table
from monitorbot.store import db

app = typer.Typer(help="Rapporten voor controllers en de gemeenteraad.", no_args_is_help=True)


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
    gemeente: Annotated[str, typer.Option(help="CBS-code, bv. 0399.")],
    year: Annotated[int, typer.Option("--year", help="Begrotingsjaar.")],
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of", help="Peilmaand JJJJ-MM: alleen wat tot en met die maand gedeclareerd was."
        ),
    ] = None,
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
