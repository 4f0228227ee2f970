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
    from monitorbot.notify.channels import missing_configuration
    from monitorbot.service.cycle import evaluate_and_notify
    from monitorbot.service.locks import retry_when_busy

    started = perf_counter()
    app = App(settings)
    skipped: list[str] = []

    def configured(destination: object) -> bool:
        reason = missing_configuration(destination, settings, app.config.deployment)  # type: ignore[arg-type]
        if reason:
            skipped.append(f"{destination.type}: {reason}")  # type: ignore[attr-defined]
        return reason is None

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
        actief=len(result.evaluation.firing),
        klaargezet=result.queued,
        verzonden=tuple(delivery.verzonden),
        niet_bezorgd=tuple(delivery.permanent),
        overgeslagen=tuple(dict.fromkeys(skipped)),
    )


def evaluate_members(
    settings: Settings,
    gemeenten: list[str],
    *,
    now: datetime,
    peildatum: Peildatum | None,
    digest: bool,
    processes: int | None = None,
    skip_unconfigured: bool = False,
) -> list[MemberRun]:
    """Every member evaluated, `processes` at a time (default: every core), in the
    members' order. Spawned processes: nothing of the parent's connections is shared.

    On SQLite one at a time whatever `processes` says: it has one writer, and an
    evaluation writes its states, snapshot and messages in one transaction.
    """
    workers = max(1, min(processes or os.cpu_count() or 1, len(gemeenten)))
    if settings.resolved_database_url().startswith("sqlite"):
        workers = 1
    if workers == 1:
        return [
            evaluate_member(settings, g, now, peildatum, digest, skip_unconfigured)
            for g in gemeenten
        ]
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        futures = [
            pool.submit(evaluate_member, settings, g, now, peildatum, digest, skip_unconfigured)
            for g in gemeenten
        ]
        return [future.result() for future in futures]


def regio_cycle(
    settings: Settings,
    regio: str,
    *,
    now: datetime,
    peildatum: Peildatum,
    digest: bool = True,
    processes: int | None = None,
    skip_unconfigured: bool = False,
) -> RegioCycle:
    """The members' evaluations, then the region's snapshot from theirs, stored, with the
    regional digest queued and delivered.

    A member whose evaluation failed is named, and the region reads the snapshot
    its reports would compute, so the regional table is never silently short.
    """
    from monitorbot.app import App
    from monitorbot.notify.channels import missing_configuration

    app = App(settings)
    skipped: list[str] = []

    def configured(destination: object) -> bool:
        reason = missing_configuration(destination, settings, app.config.deployment)  # type: ignore[arg-type]
        if reason:
            skipped.append(f"{destination.type}: {reason}")  # type: ignore[attr-defined]
        return reason is None

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
        cycle.overgeslagen = list(dict.fromkeys(skipped))
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
    from monitorbot.evaluate.engine import report_snapshot
    from monitorbot.evaluate.regio import regio_snapshot, store_regio_snapshot
    from monitorbot.notify.outbox import deliver, enqueue
    from monitorbot.notify.regio_digest import regio_digest_message
    from monitorbot.store import db

    queued = 0
    with db.transaction(engine) as session:
        snapshot = regio_snapshot(
            session,
            config,
            regio,
            peildatum,
            now=now,
            compute=lambda g: report_snapshot(session, config, spec, g, peildatum, now=now),
        )
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
