"""`monitorbot config check`: validate every config file and say what to fix."""

from __future__ import annotations

import typer

from monitorbot.cli.runtime import EXIT_USAGE, console, report_config_error, runtime_of

app = typer.Typer(help="Configuratie controleren.", no_args_is_help=True)


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Controleer config/, alerts/ en forecasts/: bestand, regel, sleutel en waarde per fout."""
    runtime = runtime_of(ctx)
    problems = runtime.configuration_problems()
    if problems:
        report_config_error(problems)
        raise typer.Exit(EXIT_USAGE)
    config = runtime.config
    console.print(f"Configuratie in {runtime.config_dir} is in orde:")
    console.print(f"  {len(config.percelen.percelen)} percelen")
    for code, gemeente in sorted(config.gemeenten.items()):
        jaren = sorted(j for (c, j) in config.begrotingen if c == code)
        jaren_tekst = ", ".join(map(str, jaren)) or "geen"
        console.print(f"  gemeente {code} {gemeente.naam}: begrotingen {jaren_tekst}")
    rules = runtime.rules()
    console.print(f"  {len(rules.rules)} signaleringsregels in {runtime.settings.alerts_dir}")
    console.print(f"  voorspelspecificatie in {runtime.settings.forecasts_dir}")
