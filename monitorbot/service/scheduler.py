"""The running service: APScheduler jobs around ingestion, the cycle and the outbox.

Jobs (all in APScheduler's SQLAlchemy job store in monitorbot's own database):

- `inbox`: every `planning.inbox_scan_minuten`; new files are ingested (moved to
  the archive or quarantine) and the municipalities they touch are evaluated at
  once, so a dropped file becomes a message within one scan interval;
- `maandcyclus`: on `maandcyclus_dag` at `maandcyclus_tijd` (deployment time
  zone), every municipality, with the manager digest when it is monthly;
- `digest`: the weekly digest, when `planning.digest` is `wekelijks`;
- `outbox`: every minute, retries messages that are due;
- `onderhoud`: daily, prunes old job runs and closes runs of crashed processes.

Jobs are stored with coalesce and no misfire limit, and a stored cron job is
kept on restart (not re-added), so a service that was down over the 10th runs
the missed monthly cycle once when it comes back. Each run takes a database
lock per job group and municipality (`locks.claimed_run`), and the monthly
cycle additionally skips a municipality whose cycle for that month already
succeeded, so two instances never send the same cycle twice.

Job functions get their time from `Service.clock`, so tests freeze it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine, delete, func, select, update

from monitorbot.app import App
from monitorbot.config import Config, ConfigError
from monitorbot.config.models import Deployment
from monitorbot.config.yaml_source import YAML_SUFFIXES
from monitorbot.core.calendar import Peildatum
from monitorbot.core.privacy import redact
from monitorbot.core.states import BestandStatus, JobStatus
from monitorbot.evaluate.engine import cycle_peilmaand
from monitorbot.evaluate.rules import RuleSet
from monitorbot.forecast.spec import ForecastSpec
from monitorbot.ingest.pipeline import IngestReport, iter_paths
from monitorbot.notify.outbox import DeliveryReport, deliver
from monitorbot.service.cycle import evaluate_and_notify, send_digest
from monitorbot.service.health import ServiceMetrics, database_ok
from monitorbot.service.locks import DEFAULT_LEASE, Run, claimed_run, retry_when_busy
from monitorbot.service.regio import evaluate_region
from monitorbot.store import db, models
from monitorbot.store.queries.quality import file_name
from monitorbot.store.sync import sync_config

log = logging.getLogger("monitorbot.service")

Clock = Callable[[], datetime]
JOB_FUNC = "monitorbot.service.scheduler:run_job"
JOBSTORE_TABLE = "monitorbot_scheduler_jobs"
JOB_DEFAULTS = {"coalesce": True, "misfire_grace_time": None, "max_instances": 1}
KEEP_RUNS = timedelta(days=400)
# Cron jobs whose stored next run time must survive a restart (that is the catch-up).
PERSISTENT_JOBS = {"maandcyclus", "digest", "onderhoud"}
WEEKDAYS = {"ma": "mon", "di": "tue", "wo": "wed", "do": "thu", "vr": "fri"}

_active: Service | None = None


def utc_now() -> datetime:
    return datetime.now(UTC)


def run_job(name: str) -> None:
    """The function every stored job points at: a stored job keeps only this text reference.

    The job store pickles jobs; the Service (engine, config, clock) cannot be
    pickled, so jobs name the job and this looks up the running service.
    """
    service = _active
    if service is None:
        log.warning("job zonder actieve service overgeslagen", extra={"job": name})
        return
    service.run_job(name)


class SafeBackgroundScheduler(BackgroundScheduler):
    """A BackgroundScheduler that does not lose a due run when it is shut down.

    APScheduler 3.x wakes its thread once more after shutdown() and processes
    due jobs; the submission fails (the executor is gone) but the job's next
    run time is still advanced, so a monthly cycle due at that moment would be
    skipped for a month. A stopped scheduler here processes nothing.
    """

    def _process_jobs(self) -> float | None:
        if self.state == STATE_STOPPED:
            return None
        return super()._process_jobs()


def job_triggers(deployment: Deployment) -> dict[str, BaseTrigger]:
    """The schedule from `planning:` in monitorbot.yaml, in the deployment's time zone."""
    plan = deployment.planning
    tz = ZoneInfo(deployment.tijdzone)
    hour, minute = (int(part) for part in plan.maandcyclus_tijd.split(":"))
    triggers: dict[str, BaseTrigger] = {
        "inbox": IntervalTrigger(seconds=plan.inbox_scan_minuten * 60, timezone=tz),
        "maandcyclus": CronTrigger(day=plan.maandcyclus_dag, hour=hour, minute=minute, timezone=tz),
        "outbox": IntervalTrigger(minutes=1, timezone=tz),
        "onderhoud": CronTrigger(hour=3, minute=30, timezone=tz),
    }
    if plan.digest == "wekelijks":
        triggers["digest"] = CronTrigger(
            day_of_week=WEEKDAYS[plan.digest_weekdag], hour=hour, minute=minute, timezone=tz
        )
    return triggers


@dataclass
class ScanResult:
    """What one inbox scan did (counts and codes only)."""

    bestanden: int = 0
    geweigerd: int = 0
    regels: int = 0
    gemeenten: list[str] = field(default_factory=list)
    overgeslagen: bool = False


class Service:
    """One `monitorbot run` process: the jobs, the scheduler and a stop flag for SIGTERM."""

    def __init__(
        self,
        runtime: App,
        *,
        clock: Clock = utc_now,
        metrics: ServiceMetrics | None = None,
        settle_seconds: float = 1.0,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.runtime = runtime
        self.clock = clock
        self.engine: Engine = runtime.engine()
        self.metrics = metrics or ServiceMetrics(self.engine)
        self.settle_seconds = settle_seconds
        self.lease = lease
        self.stop_event = threading.Event()
        self._first_scan = True
        self._config_seen: tuple = ()
        self._last_rules: RuleSet | None = None
        self._last_spec: ForecastSpec | None = None
        self.scheduler: BackgroundScheduler | None = None
        self.jobs: dict[str, Callable[[], object]] = {
            "inbox": self.scan_inbox,
            "maandcyclus": self.monthly_cycle,
            "digest": self.weekly_digest,
            "outbox": self.retry_outbox,
            "onderhoud": self.housekeeping,
        }

    @property
    def config(self) -> Config:
        return self.runtime.config

    def request_stop(self) -> None:
        """SIGTERM/SIGINT: finish the current file or job, start nothing new."""
        self.stop_event.set()

    def stop_requested(self) -> bool:
        return self.stop_event.is_set()

    # ------------------------------------------------------------------ job wrapper

    def run_job(self, name: str) -> None:
        """Run one job with its duration and outcome in the metrics; errors are logged, not raised.

        Raising would only make APScheduler log a traceback (which may quote
        input); the job's JobRun row already says `mislukt`.
        """
        if self.stop_requested():
            return
        started = time.perf_counter()
        status = JobStatus.GESLAAGD
        try:
            self.jobs[name]()
        except Exception:
            status = JobStatus.MISLUKT
            log.exception("job mislukt", extra={"job": name})
        finally:
            seconds = time.perf_counter() - started
            self.metrics.job_duration.labels(name).observe(seconds)
            self.metrics.job_runs.labels(name, status).inc()

    def _claim(self, job: str, gemeente: str | None = None) -> Any:
        return claimed_run(self.engine, job, gemeente, clock=self.clock, lease=self.lease)

    def _skipped(self, job: str) -> None:
        self.metrics.job_runs.labels(job, JobStatus.OVERGESLAGEN).inc()

    # ------------------------------------------------------------------ rules and spec

    def _rules(self) -> RuleSet:
        """Read per run, so a controller's edit to alerts/ applies without a restart;
        a broken edit leaves the last valid rules in use (its problems are logged)."""
        try:
            self._last_rules = self.runtime.rules()
        except ConfigError:
            if self._last_rules is None:
                raise
            log.error("regels ongeldig; de laatste geldige regels blijven in gebruik")
        return self._last_rules

    def _spec(self) -> ForecastSpec:
        try:
            self._last_spec = self.runtime.forecast_spec()
        except ConfigError:
            if self._last_spec is None:
                raise
            log.error("voorspelspecificatie ongeldig; de laatste geldige blijft in gebruik")
        return self._last_spec

    # ------------------------------------------------------------------ configuration

    def _config_files(self) -> tuple:
        settings = self.runtime.settings
        folders = (self.runtime.config_dir, settings.alerts_dir, settings.forecasts_dir)
        return tuple(
            sorted(
                (str(path), path.stat().st_mtime_ns, path.stat().st_size)
                for folder in folders
                if folder.is_dir()
                for path in folder.rglob("*")
                if path.suffix in YAML_SUFFIXES and path.is_file()
            )
        )

    def check_configuration(self) -> list[str]:
        """After an edit to config/, alerts/ or forecasts/: check everything, as `config check`.

        A valid change applies at once; with problems the last valid configuration
        stays in use and every problem is logged with file, line and key.
        """
        seen = self._config_files()
        if seen == self._config_seen:
            return []
        first = not self._config_seen
        self._config_seen = seen
        problems = self.runtime.configuration_problems()
        for problem in problems:
            log.error("configuratiefout", extra={"probleem": problem})
        if problems:
            return problems
        self._last_rules, self._last_spec = self.runtime.rules(), self.runtime.forecast_spec()
        if not first:
            log.info("configuratie gewijzigd en in orde")
            if self.scheduler is not None and self.scheduler.running:
                # A new schedule (planning, time zone) applies now, not after a restart.
                reconcile_jobs(self.scheduler, job_triggers(self.config.deployment))
        return problems

    # ------------------------------------------------------------------ inbox

    def inbox_files(self) -> list[Path]:
        """Files in the inbox that have stopped changing (a copy in progress is left alone)."""
        inbox = self.runtime.data_path(self.config.deployment.inbox)
        inbox.mkdir(parents=True, exist_ok=True)
        cutoff = time.time() - self.settle_seconds
        return [p for p in iter_paths([inbox]) if p.stat().st_mtime <= cutoff]

    def scan_inbox(self) -> ScanResult:
        """Ingest new inbox files, then evaluate and notify the municipalities they touch.

        The first scan after a start also evaluates municipalities whose files
        were ingested but never evaluated (a stop or an error came between).
        """
        self.check_configuration()
        files = self.inbox_files()
        if not files and not self._first_scan:
            return ScanResult()  # an empty scan is not worth a JobRun row every few minutes
        self._first_scan = False
        result = self._scan(files) if files else ScanResult()
        if result.overgeslagen:
            return result
        for gemeente in self._pending_evaluations():
            if self.stop_requested():
                break  # the next start evaluates; the files are already safely stored
            self._evaluate(gemeente, job="evaluatie", digest=False)
        return result

    def _scan(self, files: list[Path]) -> ScanResult:
        with self._claim("inbox") as run:
            if run is None:
                self._skipped("inbox")
                return ScanResult(overgeslagen=True)
            report = self._ingest(files)
            result = ScanResult(
                bestanden=len(report.bestanden),
                geweigerd=report.geweigerd,
                regels=report.regels,
                gemeenten=sorted(g for g in report.gemeenten if g in self.config.gemeenten),
            )
            run.statistiek = {
                "bestanden": result.bestanden,
                "geweigerd": result.geweigerd,
                "regels": result.regels,
                "gemeenten": result.gemeenten,
            }
            return result

    def _pending_evaluations(self) -> list[str]:
        """Municipalities with an inbox run and no successful evaluation started after it.

        Compared by JobRun id (rows are numbered in insertion order), not by
        time, so a frozen or skewed clock cannot hide a pending evaluation.
        """
        jobrun = models.JobRun
        with db.transaction(self.engine) as session:
            scans = session.execute(
                select(jobrun.id, jobrun.statistiek)
                .where(jobrun.job == "inbox", jobrun.status == JobStatus.GESLAAGD)
                .order_by(jobrun.id.desc())
                .limit(100)
            ).all()
            latest: dict[str, int] = {}
            for run_id, stats in scans:
                for gemeente in (stats or {}).get("gemeenten", []):
                    latest.setdefault(gemeente, run_id)
            pending = []
            for gemeente, scan_id in latest.items():
                evaluated = session.scalar(
                    select(func.max(jobrun.id)).where(
                        jobrun.job.in_(("evaluatie", "maandcyclus")),
                        jobrun.gemeente_code == gemeente,
                        jobrun.status == JobStatus.GESLAAGD,
                    )
                )
                if gemeente in self.config.gemeenten and (evaluated or 0) < scan_id:
                    pending.append(gemeente)
        return sorted(pending)

    def _ingest(self, files: list[Path]) -> IngestReport:
        ingestor = self.runtime.ingestor(
            move=True, sync=False, clock=self.clock, should_stop=self.stop_requested
        )
        report = ingestor.run(files)
        for item in report.bestanden:
            log.info(
                "bestand verwerkt",
                extra={
                    "bestand": redact(file_name(item.naam)),  # a name may hold a BSN
                    "status": item.status,
                    "soort": item.soort,
                    "gemeente": item.gemeente,
                    "regels": item.regels,
                },
            )
            if item.status == BestandStatus.INGELEZEN:
                self.metrics.lines_ingested.labels(item.gemeente or "-").inc(item.regels)
            elif item.status == BestandStatus.GEWEIGERD:
                self.metrics.files_rejected.inc()
        return report

    # ------------------------------------------------------------------ evaluation

    def _evaluate(self, gemeente: str, *, job: str, digest: bool) -> Run | None:
        """evaluate_and_notify for one municipality under its lock; JobRun says what was sent."""
        with self._claim(job, gemeente) as run:
            if run is None:
                self._skipped(job)
                return None
            if job == "maandcyclus" and self._cycle_done(gemeente, run):
                return run
            now = self.clock()
            spec, rules = self._spec(), self._rules()
            result = retry_when_busy(
                self.engine,
                lambda: evaluate_and_notify(
                    self.engine,
                    self.config,
                    self.runtime.settings,
                    spec,
                    rules,
                    gemeente,
                    now=now,
                    digest=digest,
                    clock=self.clock,
                ),
            )
            run.statistiek.update(
                {
                    "peilmaand": cycle_peilmaand(now, self.config).isoformat(),
                    "klaargezet": result.queued,
                    "verzonden": len(result.delivery.verzonden),
                    "uitgesteld": len(result.delivery.uitgesteld),
                    "mislukt": len(result.delivery.permanent),
                }
            )
            log.info(
                "evaluatie klaar",
                extra={"job": job, "gemeente": gemeente, "klaargezet": result.queued},
            )
            return run

    def _cycle_done(self, gemeente: str, run: Run) -> bool:
        """Whether this month's cycle already succeeded (another instance, or before a restart)."""
        now = self.clock()
        month = cycle_peilmaand(now, self.config).isoformat()
        jobrun = models.JobRun
        with db.transaction(self.engine) as session:
            earlier = session.scalars(
                select(jobrun.statistiek).where(
                    jobrun.job == "maandcyclus",
                    jobrun.gemeente_code == gemeente,
                    jobrun.status == JobStatus.GESLAAGD,
                    jobrun.id != run.id,
                    jobrun.gestart_op >= now.astimezone(UTC) - timedelta(days=70),
                )
            ).all()
        if any((stats or {}).get("peilmaand") == month for stats in earlier):
            run.status = JobStatus.OVERGESLAGEN
            run.statistiek.update({"peilmaand": month, "reden": "al uitgevoerd"})
            log.info("maandcyclus al uitgevoerd", extra={"gemeente": gemeente, "peilmaand": month})
            return True
        return False

    def monthly_cycle(self) -> list[str]:
        """Every configured municipality; the digest goes along when it is monthly."""
        digest = self.config.deployment.planning.digest == "maandelijks"
        done, failed = [], []
        for gemeente in sorted(self.config.gemeenten):
            if self.stop_requested():
                break
            try:  # one municipality's failure must not cost the others their cycle
                run = self._evaluate(gemeente, job="maandcyclus", digest=digest)
            except Exception:
                log.exception("maandcyclus mislukt", extra={"gemeente": gemeente})
                failed.append(gemeente)
                continue
            if run is not None and run.status == JobStatus.GESLAAGD:
                done.append(gemeente)
        self._regions(failed)
        if failed:
            raise RuntimeError(f"maandcyclus mislukt voor {', '.join(failed)}")
        return done

    def _regions(self, failed: list[str]) -> None:
        """Each region none of whose members failed this cycle (a member whose cycle had
        already run counts: its snapshot is there): its snapshot from theirs, its digest.
        One region's failure is logged and does not cost the others theirs."""
        for naam, regio in sorted(self.config.regios.items()):
            if self.stop_requested():
                break
            if set(regio.leden) & set(failed):
                log.error("regio overgeslagen: een lid mislukte", extra={"regio": naam})
                continue
            try:
                self._region(naam)
            except Exception:
                log.exception("regio mislukt", extra={"regio": naam})
                failed.append(f"regio {naam}")

    def _region(self, naam: str) -> None:
        now = self.clock()
        peildatum = Peildatum.nu(now, self.config.deployment.tijdzone)
        _, queued, _ = retry_when_busy(
            self.engine,
            lambda: evaluate_region(
                self.engine,
                self.config,
                self.runtime.settings,
                self._spec(),
                naam,
                peildatum,
                now=now,
            ),
        )
        log.info("regio bijgewerkt", extra={"regio": naam, "klaargezet": queued})

    def weekly_digest(self) -> None:
        """The manager digest when it is weekly (a monthly one goes along with the cycle)."""
        for gemeente in sorted(self.config.gemeenten):
            if self.stop_requested():
                break
            self._digest(gemeente)

    def _digest(self, gemeente: str) -> None:
        with self._claim("digest", gemeente) as run:
            if run is None:
                self._skipped("digest")
                return
            now = self.clock()
            spec = self._spec()
            queued, report = retry_when_busy(
                self.engine,
                lambda: send_digest(
                    self.engine,
                    self.config,
                    self.runtime.settings,
                    spec,
                    gemeente,
                    now=now,
                    peildatum=Peildatum.nu(now, self.config.deployment.tijdzone),
                    clock=self.clock,
                ),
            )
            run.statistiek.update({"klaargezet": queued, "verzonden": len(report.verzonden)})

    # ------------------------------------------------------------------ outbox, housekeeping

    def retry_outbox(self) -> DeliveryReport:
        """Deliver what is due; no JobRun row unless something was due (it runs every minute)."""
        report = retry_when_busy(
            self.engine,
            lambda: deliver(self.engine, self.config, self.runtime.settings, clock=self.clock),
        )
        if report.verzonden or report.uitgesteld or report.permanent:
            log.info(
                "outbox verwerkt",
                extra={
                    "verzonden": len(report.verzonden),
                    "uitgesteld": len(report.uitgesteld),
                    "mislukt": len(report.permanent),
                },
            )
        return report

    def housekeeping(self) -> None:
        """Prune job runs older than ~13 months; close `bezig` runs of crashed processes."""
        with self._claim("onderhoud") as run:
            if run is None:
                self._skipped("onderhoud")
                return
            now = self.clock().astimezone(UTC)
            jobrun = models.JobRun
            with db.transaction(self.engine) as session:
                pruned = session.execute(
                    delete(jobrun).where(jobrun.gestart_op < now - KEEP_RUNS)
                ).rowcount
                stale = session.execute(
                    update(jobrun)
                    .where(jobrun.status == JobStatus.BEZIG, jobrun.gestart_op < now - self.lease)
                    .values(status=JobStatus.AFGEBROKEN, geeindigd_op=now)
                ).rowcount
            run.statistiek.update({"verwijderd": pruned, "afgebroken": stale})

    # ------------------------------------------------------------------ scheduler

    def build_scheduler(self) -> BackgroundScheduler:
        store = SQLAlchemyJobStore(engine=self.engine, tablename=JOBSTORE_TABLE)
        return SafeBackgroundScheduler(
            jobstores={"default": store, "memory": MemoryJobStore()},
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults=dict(JOB_DEFAULTS),
            timezone=ZoneInfo(self.config.deployment.tijdzone),
        )

    def start(self) -> BackgroundScheduler:
        """Sync the config, start the scheduler paused, reconcile the stored jobs, then resume."""
        global _active
        with db.transaction(self.engine) as session:
            sync_config(session, self.config)
        _active = self
        scheduler = self.build_scheduler()
        scheduler.start(paused=True)
        self.scheduler = scheduler
        reconcile_jobs(scheduler, job_triggers(self.config.deployment))
        scheduler.resume()
        log.info("service gestart", extra={"jobs": sorted(j.id for j in scheduler.get_jobs())})
        return scheduler

    def shutdown(self) -> None:
        """Wait for running jobs (each stops after its current file), then stop."""
        global _active
        self.request_stop()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=True)
        if _active is self:
            _active = None
        log.info("service gestopt")

    def health(self) -> dict[str, object]:
        """For /healthz: the scheduler runs and the database answers."""
        running = bool(self.scheduler and self.scheduler.running)
        database = database_ok(self.engine)
        jobs: dict[str, str | None] = {}
        if running and self.scheduler is not None:
            for job in self.scheduler.get_jobs():
                jobs[job.id] = job.next_run_time.isoformat() if job.next_run_time else None
        ok = running and database and not self.stop_requested()
        return {
            "status": "ok" if ok else "fout",
            "scheduler": running,
            "database": database,
            "volgende_runs": jobs,
        }


def reconcile_jobs(scheduler: BackgroundScheduler, triggers: dict[str, BaseTrigger]) -> None:
    """Make the stored jobs match the config without losing a missed cron run.

    A stored cron job with an unchanged trigger is left as it is: its next run
    time may lie in the past (the service was down), and that is what makes
    APScheduler run it once on resume. A changed schedule is re-added; a job no
    longer configured is removed. Interval jobs live in memory: catching up on
    a missed scan means nothing, and storing their next run time every few
    seconds would make APScheduler a constant writer on a SQLite database.
    """
    for job in scheduler.get_jobs():
        if job.id not in triggers:
            scheduler.remove_job(job.id)
    for name, trigger in triggers.items():
        store = "default" if name in PERSISTENT_JOBS else "memory"
        for other in {"default", "memory"} - {store}:  # moved between stores by an upgrade
            if scheduler.get_job(name, jobstore=other) is not None:
                scheduler.remove_job(name, jobstore=other)
        existing = scheduler.get_job(name, jobstore=store)
        if existing is not None and store == "default" and repr(existing.trigger) == repr(trigger):
            continue
        scheduler.add_job(
            JOB_FUNC,
            trigger,
            args=[name],
            id=name,
            name=name,
            jobstore=store,
            replace_existing=True,
            **JOB_DEFAULTS,
        )
