"""`monitorbot run`: the long-running service (scheduler, inbox, /healthz and /metrics).

SIGTERM and SIGINT set a stop flag: the file being ingested is finished and
committed, running jobs end, nothing new starts, and the process exits 0. A
stop never leaves partial state: each file is all-or-nothing and an evaluation
commits its alert states together with its outbox rows.
"""

from __future__ import annotations

import logging
import signal
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from monitorbot.app import App
from monitorbot.cli.runtime import (
    EXIT_OK,
    EXIT_REJECTED,
    EXIT_USAGE,
    report_config_error,
    runtime_of,
)

if TYPE_CHECKING:
    from monitorbot.service.scheduler import Service
    from monitorbot.web.serve import ConsoleServer

# The service (APScheduler, the stages, prometheus-client) is imported when it starts.

log = logging.getLogger("monitorbot.service")


def run(
    ctx: typer.Context,
    eenmalig: Annotated[
        bool,
        typer.Option(
            "--eenmalig",
            help="Scan de inbox één keer (inlezen, evalueren, versturen) en stop; voor cron.",
        ),
    ] = False,
    metrics_port: Annotated[
        int | None,
        typer.Option(
            "--metrics-port",
            envvar="MONITORBOT_METRICS_PORT",
            help="Poort voor /healthz en /metrics (standaard metrics_poort uit "
            "monitorbot.yaml; 0 = kies een vrije poort en toon hem).",
            show_default=False,
            min=0,
            max=65535,
        ),
    ] = None,
    metrics_host: Annotated[
        str, typer.Option("--metrics-host", help="Adres waarop /healthz en /metrics luisteren.")
    ] = "0.0.0.0",
) -> None:
    """Start de dienst: inbox-scan, maandcyclus, digest, outbox en onderhoud volgens planning.

    Stopt netjes op SIGTERM of Ctrl-C (het lopende bestand wordt afgemaakt); exit 0.
    """
    from monitorbot.service.health import HealthServer
    from monitorbot.service.logs import configure_json_logging
    from monitorbot.service.scheduler import Service

    runtime = runtime_of(ctx)
    configure_json_logging()
    _check_can_ingest(runtime)
    problems = runtime.configuration_problems()
    if problems:
        report_config_error(problems)
        raise typer.Exit(EXIT_USAGE)
    service = Service(runtime)
    service.check_configuration()  # remembers what it checked, to notice the next edit
    if eenmalig:
        raise typer.Exit(_run_once(service))
    port = runtime.config.deployment.metrics_poort if metrics_port is None else metrics_port
    _install_signal_handlers(service)
    try:
        health = HealthServer(service.metrics, service.health, host=metrics_host, port=port)
    except OSError as exc:
        log.error("metrics-poort niet beschikbaar", extra={"poort": port, "fout": str(exc)})
        raise typer.Exit(EXIT_USAGE) from None
    health.start()
    print(f"healthz en metrics op http://{metrics_host}:{health.port}/ (poort {health.port})")
    log.info("metrics gestart", extra={"poort": health.port})
    web = _start_console(runtime)
    try:
        service.start()
        while not service.stop_event.wait(timeout=1.0):
            pass
    finally:
        service.shutdown()
        health.stop()
        if web is not None:
            web.stop()
    raise typer.Exit(EXIT_OK)


def _start_console(runtime: App) -> ConsoleServer | None:
    """The web console on 127.0.0.1:`console_poort` when configured (else None)."""
    port = runtime.config.deployment.console_poort
    if port is None:
        return None
    from monitorbot.cli.web_cmd import console_app
    from monitorbot.web.serve import ConsoleServer

    server = ConsoleServer(console_app(runtime), "127.0.0.1", port)
    try:
        server.start()
    except OSError as exc:
        log.error("console-poort niet beschikbaar", extra={"poort": port, "fout": str(exc)})
        raise typer.Exit(EXIT_USAGE) from None
    print(f"console op http://127.0.0.1:{port}/")
    log.info("console gestart", extra={"poort": port})
    return server


def _check_can_ingest(runtime: App) -> None:
    """Refuse to start without a (long enough) pseudonym key, or with another key than the
    database was filled with, before any job runs."""
    runtime.same_key_as_the_data(runtime.pseudonym_key())


def _run_once(service: Service) -> int:
    """One inbox scan and one outbox round; exit 1 when a file was rejected (like `ingest`)
    or a message could not be delivered for good (like `deliver`)."""
    result = service.scan_inbox()
    delivery = service.retry_outbox()
    log.info(
        "eenmalige scan klaar",
        extra={"bestanden": result.bestanden, "geweigerd": result.geweigerd},
    )
    return EXIT_REJECTED if result.geweigerd or not delivery.ok else EXIT_OK


def _install_signal_handlers(service: Service) -> None:
    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopverzoek ontvangen", extra={"signaal": signal.Signals(signum).name})
        service.request_stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
