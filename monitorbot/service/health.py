"""`/healthz` and Prometheus `/metrics` for `monitorbot run`.

Counters of what this process did (lines ingested, files rejected, job runs and
their durations) live in memory; what the database knows (alerts by state, the
outbox backlog, the last successful monthly cycle per municipality) is read at
scrape time, so a second instance or a restart shows the same figures.
Everything is a count, an amount of seconds or a CBS code: no client data.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select, text
from sqlalchemy.exc import SQLAlchemyError

from monitorbot.core.states import JobStatus, OutboxStatus
from monitorbot.store import db, models

log = logging.getLogger("monitorbot.service")

JOB_BUCKETS = (0.1, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class ServiceMetrics:
    """The service's metrics in their own registry (tests can make as many as they like)."""

    def __init__(self, engine: Engine | None = None) -> None:
        self.registry = CollectorRegistry()
        self.lines_ingested = Counter(
            "monitorbot_regels_ingelezen",
            "Ingelezen regels uit de inbox sinds de start van dit proces.",
            ["gemeente"],
            registry=self.registry,
        )
        self.files_rejected = Counter(
            "monitorbot_bestanden_geweigerd",
            "Geweigerde bestanden (naar quarantaine) sinds de start van dit proces.",
            registry=self.registry,
        )
        self.job_runs = Counter(
            "monitorbot_job_runs",
            "Uitgevoerde jobs per uitkomst (geslaagd, mislukt, overgeslagen).",
            ["job", "status"],
            registry=self.registry,
        )
        self.job_duration = Histogram(
            "monitorbot_job_duur_seconden",
            "Duur van een job in seconden.",
            ["job"],
            buckets=JOB_BUCKETS,
            registry=self.registry,
        )
        if engine is not None:
            self.registry.register(DatabaseCollector(engine))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class DatabaseCollector(Collector):
    """Gauges read from the database at scrape time; a database error yields `up 0`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily("monitorbot_database_up", "1 als de database bereikbaar is.")
        try:
            families = list(self._families())
        except SQLAlchemyError:
            log.warning("metrics: database niet bereikbaar")
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        yield from families

    def _families(self) -> Iterator[Metric]:
        with db.transaction(self.engine) as session:
            alerts = GaugeMetricFamily(
                "monitorbot_alerts", "Signaleringen per status.", labels=["gemeente", "status"]
            )
            state = models.AlertState
            for gemeente, status, count in session.execute(
                select(state.gemeente_code, state.status, func.count()).group_by(
                    state.gemeente_code, state.status
                )
            ):
                alerts.add_metric([gemeente, status], count)
            yield alerts
            backlog = GaugeMetricFamily(
                "monitorbot_outbox_achterstand",
                "Berichten die nog verstuurd moeten worden (wachtend of opnieuw te proberen).",
                labels=["gemeente"],
            )
            outbox = models.Outbox
            for gemeente, count in session.execute(
                select(outbox.gemeente_code, func.count())
                .where(outbox.status.in_((OutboxStatus.WACHTEND, OutboxStatus.MISLUKT)))
                .group_by(outbox.gemeente_code)
            ):
                backlog.add_metric([gemeente], count)
            yield backlog
            yield self._last_cycles(session)

    @staticmethod
    def _last_cycles(session) -> Metric:  # type: ignore[no-untyped-def]
        last = GaugeMetricFamily(
            "monitorbot_laatste_maandcyclus_timestamp_seconds",
            "Einde van de laatste geslaagde maandcyclus per gemeente (Unix-tijd).",
            labels=["gemeente"],
        )
        run = models.JobRun
        for gemeente, ended in session.execute(
            select(run.gemeente_code, func.max(run.geeindigd_op))
            .where(run.job == "maandcyclus", run.status == JobStatus.GESLAAGD)
            .group_by(run.gemeente_code)
        ):
            if gemeente and ended is not None:
                moment = ended if ended.tzinfo else ended.replace(tzinfo=UTC)
                last.add_metric([gemeente], moment.timestamp())
        return last


def database_ok(engine: Engine) -> bool:
    try:
        with engine.connect() as connection:
            connection.execute(text("select 1"))
        return True
    except SQLAlchemyError:
        return False


class HealthServer:
    """A tiny HTTP server in a daemon thread: GET /healthz (JSON) and GET /metrics.

    /healthz answers 200 while the scheduler runs and the database answers, 503
    otherwise, so a container orchestrator restarts a wedged service.
    """

    def __init__(
        self,
        metrics: ServiceMetrics,
        healthy: Callable[[], dict[str, object]],
        *,
        host: str = "0.0.0.0",
        port: int = 0,
    ) -> None:
        self.metrics = metrics
        self.healthy = healthy
        self.server = ThreadingHTTPServer((host, port), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def port(self) -> int:
        return int(self.server.server_address[1])

    def start(self) -> HealthServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                if path == "/metrics":
                    self._send(200, outer.metrics.exposition(), CONTENT_TYPE_LATEST)
                elif path == "/healthz":
                    state = outer.healthy()
                    code = 200 if state.get("status") == "ok" else 503
                    self._send(code, json.dumps(state).encode(), "application/json")
                else:
                    self._send(404, b"niet gevonden\n", "text/plain; charset=utf-8")

            def _send(self, code: int, body: bytes, content_type: str) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                """Scrapes every 15 s would drown the job log; they are not logged."""

        return Handler
