"""A region's monthly cycle: every member evaluated (in parallel), then the region read
from their snapshots.

Each member's evaluation is the one its own cycle runs (`cycle.evaluate_and_notify`:
rules, kernteam message, digest), in a process of its own so the members'
forecasts use every core; the database is the only thing they share. The region
then reads the snapshots those evaluations stored and stores its own, so the
regional table, digest and pages show the members' figures exactly.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitorbot.config import Config, Settings
from monitorbot.core.calendar import Peildatum
from monitorbot.evaluate.regio_snapshot import RegioSnapshot
from monitorbot.forecast.spec import ForecastSpec
from monitorbot.notify.outbox import DeliveryReport

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemberRun:
    """What one member's evaluation did, as the parent process reports it."""

    gemeente: str
    seconden: float
    actief: int = 0
    klaargezet: int = 0
    verzonden: tuple[str, ...] = ()
    niet_bezorgd: tuple[str, ...] = ()
    overgeslagen: tuple[str, ...] = ()
    fout: str | None = None
    dask_worker: str | None = None  # the Dask worker's address, when it ran on Dask


@dataclass
class RegioCycle:
    leden: list[MemberRun] = field(default_factory=list)
    snapshot: RegioSnapshot | None = None
    klaargezet: int = 0  # the regional digest's outbox rows
    bezorging: DeliveryReport = field(default_factory=DeliveryReport)
    overgeslagen: list[str] = field(default_factory=list)  # channels not configured here

    @property
    def mislukt(self) -> list[MemberRun]:
        return [m for m in self.leden if m.fout is not None]


def evaluate_member(
    settings: Settings,
    gemeente: str,
    now: datetime,
    peildatum: Peildatum | None,
    digest: bool,
    skip_unconfigured: bool,
) -> MemberRun:
    """One member's monthly evaluation, in a process of its own (its own engine).

    A failure is returned, not raised: one member's fault must not cost the others
    their cycle, and the region names it.
    """
    from monitorbot.app import App
    from monitorbot.notify.channels import ConfiguredHere
    from monitorbot.service.cycle import evaluate_and_notify
    from monitorbot.service.locks import retry_when_busy

    started = perf_counter()
    app = App(settings)
    configured = ConfiguredHere(settings, app.config.deployment)
    try:
        engine = app.engine(upgrade=False)
        result = retry_when_busy(
            engine,
            lambda: evaluate_and_notify(
                engine,
                app.config,
                settings,
                app.forecast_spec(),
                app.rules(),
                gemeente,
                now=now,
                peildatum=peildatum,
                digest=digest,
                only=configured if skip_unconfigured else None,
            ),
        )
    except Exception as exc:  # reported by the parent with the gemeente's code
        log.exception("evaluatie van een lid mislukt", extra={"gemeente": gemeente})
        return MemberRun(gemeente, perf_counter() - started, fout=type(exc).__name__)
    finally:
        app.close()
    delivery = result.delivery
    return MemberRun(
        gemeente,
        perf_counter() - started,
        dask_worker=_dask_worker(),
        actief=len(result.evaluation.firing),
        klaargezet=result.queued,
        verzonden=tuple(delivery.verzonden),
        niet_bezorgd=tuple(delivery.permanent),
        overgeslagen=tuple(configured.overgeslagen),
    )


class DaskOnSqlite(Exception):
    """Dask spreads the members over processes or machines; SQLite has one writer."""


def _dask_worker() -> str | None:
    """The address of the Dask worker running this, if any (the report says where)."""
    try:
        from distributed import get_worker
    except ImportError:
        return None
    try:
        return str(get_worker().address)
    except ValueError:  # not inside a Dask task
        return None


def evaluate_members(
    settings: Settings,
    gemeenten: list[str],
    *,
    now: datetime,
    peildatum: Peildatum | None,
    digest: bool,
    processes: int | None = None,
    skip_unconfigured: bool = False,
    dask: str | None = None,
) -> list[MemberRun]:
    """Every member evaluated, `processes` at a time (default: every core), in the
    members' order. Spawned processes: nothing of the parent's connections is shared.

    With `dask` the same function runs on a Dask cluster instead: at that scheduler
    address, or on a local cluster of `processes` workers when it is "lokaal". On
    SQLite one at a time whatever `processes` says (and Dask is refused): it has one
    writer, and an evaluation writes its states, snapshot and messages in one
    transaction.
    """
    workers = max(1, min(processes or os.cpu_count() or 1, len(gemeenten)))
    arguments = [(settings, g, now, peildatum, digest, skip_unconfigured) for g in gemeenten]
    sqlite = settings.resolved_database_url().startswith("sqlite")
    if dask is not None:
        if sqlite:
            raise DaskOnSqlite(
                "Dask verdeelt de gemeenten over processen of machines, maar SQLite heeft één "
                "schrijver: gebruik PostgreSQL (MONITORBOT_DATABASE_URL)."
            )
        return _on_dask(dask, workers, arguments)
    if sqlite or workers == 1:
        return [evaluate_member(*args) for args in arguments]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [pool.submit(evaluate_member, *args) for args in arguments]
        return [future.result() for future in futures]


#: What a Dask worker reads from its own environment, never sent over the wire: the
#: database URL (it may hold a password) and every secret.
WORKER_OWN = ("database_url", "pseudonym_key", "slack_token", "smtp_password")


def without_secrets(settings: Settings) -> Settings:
    """The settings a Dask worker is sent: the folders as absolute paths (the worker
    needs the same ones), no database URL and no secret: those come from the worker's
    own environment (`MONITORBOT_DATABASE_URL`, ...), as a service's do."""
    folders = {
        name: getattr(settings, name).resolve()
        for name in ("config_dir", "forecasts_dir", "alerts_dir", "data_dir")
    }
    return settings.model_copy(update={**folders, **dict.fromkeys(WORKER_OWN)})


def _worker_settings(sent: Settings) -> Settings:
    """A Dask worker's settings: what it was sent, with its own database URL and secrets."""
    from monitorbot.config.settings import from_environment

    own = {k: v for k, v in from_environment().items() if k in WORKER_OWN}
    if "database_url" not in own:
        raise RuntimeError("MONITORBOT_DATABASE_URL ontbreekt op deze Dask-worker")
    return Settings(**{**sent.model_dump(exclude=set(WORKER_OWN)), **own})


def _evaluate_on_worker(sent: Settings, *rest: Any) -> MemberRun:
    return evaluate_member(_worker_settings(sent), *rest)


def _on_dask(address: str, workers: int, arguments: list[tuple[Any, ...]]) -> list[MemberRun]:
    """`evaluate_member` for every member on a Dask cluster; results in the members' order.
    Only folders travel to the workers (`without_secrets`)."""
    from dask.distributed import Client, LocalCluster

    arguments = [(without_secrets(args[0]), *args[1:]) for args in arguments]
    if address == "lokaal":
        with (
            LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None
            ) as cluster,
            Client(cluster) as client,
        ):
            return _gathered(client, arguments)
    with Client(address) as client:
        return _gathered(client, arguments)


def _gathered(client: Any, arguments: list[tuple[Any, ...]]) -> list[MemberRun]:
    futures = [client.submit(_evaluate_on_worker, *args, pure=False) for args in arguments]
    return list(client.gather(futures))


def regio_cycle(
    settings: Settings,
    regio: str,
    *,
    now: datetime,
    peildatum: Peildatum,
    digest: bool = True,
    processes: int | None = None,
    skip_unconfigured: bool = False,
    dask: str | None = None,
) -> RegioCycle:
    """The members' evaluations, then the region's snapshot from theirs, stored, with the
    regional digest queued and delivered.

    A member whose evaluation failed is named, and the region reads the snapshot
    its reports would compute, so the regional table is never silently short.
    """
    from monitorbot.app import App
    from monitorbot.notify.channels import ConfiguredHere

    app = App(settings)
    configured = ConfiguredHere(settings, app.config.deployment)
    try:
        members = list(app.config.regio(regio).leden)
        cycle = RegioCycle(
            evaluate_members(
                settings,
                members,
                now=now,
                peildatum=peildatum,
                digest=digest,
                processes=processes,
                skip_unconfigured=skip_unconfigured,
                dask=dask,
            )
        )
        region = evaluate_region(
            app.engine(),
            app.config,
            settings,
            app.forecast_spec(),
            regio,
            peildatum,
            now=now,
            digest=digest,
            only=configured if skip_unconfigured else None,
        )
        cycle.snapshot, cycle.klaargezet, cycle.bezorging = region
        cycle.overgeslagen = list(configured.overgeslagen)
        return cycle
    finally:
        app.close()


def evaluate_region(
    engine: Engine,
    config: Config,
    settings: Settings,
    spec: ForecastSpec,
    regio: str,
    peildatum: Peildatum,
    *,
    now: datetime,
    digest: bool = True,
    only: Callable[[Any], bool] | None = None,
) -> tuple[RegioSnapshot, int, DeliveryReport]:
    """The region's snapshot from its members' snapshots of `peildatum`, stored, and its
    digest queued in the same transaction (once per peilmaand), then delivered."""
    from monitorbot.evaluate.regio import store_regio_snapshot
    from monitorbot.notify.outbox import deliver, enqueue
    from monitorbot.notify.regio_digest import regio_digest_message
    from monitorbot.store import db

    queued = 0
    with db.transaction(engine) as session:
        snapshot = _from_members(session, config, spec, regio, peildatum, now=now)
        store_regio_snapshot(session, snapshot)
        if digest:
            settings_of = config.regio(regio)
            kanaal = settings_of.digest_kanaal
            workbook = any(
                getattr(d, "rapport_bijvoegen", False) for d in settings_of.kanalen.get(kanaal, [])
            )
            message = regio_digest_message(snapshot, with_workbook=workbook)
            period = f"{peildatum.peilmaand:%Y-%m}"
            queued = len(
                enqueue(session, config, message, kanaal, now=now, period=period, only=only)
            )
    report = deliver(engine, config, settings, clock=lambda: now) if queued else DeliveryReport()
    return snapshot, queued, report


def region_at(
    engine: Engine,
    config: Config,
    spec: ForecastSpec,
    regio: str,
    peildatum: Peildatum,
    *,
    now: datetime,
) -> RegioSnapshot:
    """The region's stored snapshot of `peildatum`, else read now from the members'
    snapshots (their stored ones where they were evaluated then), not stored: what a
    report of a peildatum the cycle did not run on shows."""
    from monitorbot.evaluate.regio import stored_regio_snapshot
    from monitorbot.store import db

    with db.transaction(engine) as session:
        stored = stored_regio_snapshot(session, regio, peildatum)
        if stored is not None:
            return stored
        return _from_members(session, config, spec, regio, peildatum, now=now)


def _from_members(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    regio: str,
    peildatum: Peildatum,
    *,
    now: datetime,
) -> RegioSnapshot:
    """A member without a stored snapshot of the peildatum is read as its reports would."""
    from monitorbot.evaluate.engine import report_snapshot
    from monitorbot.evaluate.regio import regio_snapshot

    return regio_snapshot(
        session,
        config,
        regio,
        peildatum,
        now=now,
        compute=lambda g: report_snapshot(session, config, spec, g, peildatum, now=now),
    )
