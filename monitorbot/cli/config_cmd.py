"""`monitorbot config check`: validate every config file and say what to fix."""

from __future__ import annotations

import typer

from monitorbot.cli.runtime import EXIT_USAGE, console, report_config_error, runtime_of

app = typer.Typer(help="Configuratie controleren.", no_args_is_help=True)


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Controleer alle configuratiebestanden; meldt bestand, regel, sleutel en waarde per fout."""
    from monitorbot.config import ConfigError, load_config
    from monitorbot.ingest.export_formats import check_export_formats

    runtime = runtime_of(ctx)
    problems: list[str] = []
    config = None
    try:
        config = load_config(runtime.config_dir)
    except ConfigError as exc:
        problems.extend(str(p) for p in exc.problems)
    if runtime.config_dir.is_dir():
        problems.extend(check_export_formats(runtime.config_dir))
    if problems or config is None:
        report_config_error(problems)
        raise typer.Exit(EXIT_USAGE)
    console.print(f"Configuratie in {runtime.config_dir} is in orde:")
    console.print(f"  {len(config.percelen.percelen)} percelen")
    for code, gemeente in sorted(config.gemeenten.items()):
        jaren = sorted(j for (c, j) in config.begrotingen if c == code)
        jaren_tekst = ", ".join(map(str, jaren)) or "geen"
        console.print(f"  gemeente {code} {gemeente.naam}: begrotingen {jaren_tekst}")
