"""Entry point: `monitorbot [--config-dir DIR] [--data-dir DIR] COMMAND ...`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitorbot.cli import (
    alerts_cmd,
    config_cmd,
    db_cmd,
    demo_cmd,
    ingest_cmd,
    report_cmd,
    run_cmd,
)
from monitorbot.cli.runtime import make_runtime

app = typer.Typer(
    name="monitorbot",
    help="Kosten- en wachttijdmonitor voor het sociaal domein (Jeugdwet en Wmo).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(config_cmd.app, name="config")
app.add_typer(db_cmd.app, name="db")
app.add_typer(demo_cmd.app, name="demo")
app.add_typer(report_cmd.app, name="report")
app.command("backtest", context_settings={"allow_extra_args": True})(report_cmd.backtest)
app.command("ingest")(ingest_cmd.ingest)
app.command("findings")(ingest_cmd.findings)
app.add_typer(alerts_cmd.rules_app, name="rules")
app.command("evaluate")(alerts_cmd.evaluate_command)
app.command("digest")(alerts_cmd.digest_command)
app.command("deliver")(alerts_cmd.deliver_command)
app.add_typer(alerts_cmd.alerts_app, name="alerts")
app.add_typer(alerts_cmd.silence_app, name="silence")
app.command("run")(run_cmd.run)


@app.callback()
def root(
    ctx: typer.Context,
    config_dir: Annotated[
        Path | None,
        typer.Option(
            help="Configuratiemap (standaard ./config of MONITORBOT_CONFIG_DIR).",
            envvar="MONITORBOT_CONFIG_DIR",
            show_default=False,
        ),
    ] = None,
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Datamap voor database, inbox, archief en rapporten "
            "(standaard ./data of MONITORBOT_DATA_DIR).",
            envvar="MONITORBOT_DATA_DIR",
            show_default=False,
        ),
    ] = None,
) -> None:
    ctx.obj = make_runtime(config_dir, data_dir)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
