"""One evaluation with its notifications: the unit the CLI, the demo and the scheduler run.

Evaluate the rules (which computes the snapshot), build one message per channel
and the digest from that snapshot, put them in the outbox in the same
transaction as the alert states and the snapshot, commit, then deliver. A crash
before the commit loses nothing (nothing was decided); a crash after it leaves
the outbox to the next delivery run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitorbot.config import Config, Settings
from monitorbot.core.calendar import Peildatum
from monitorbot.core.clock import Clock, utc_now
from monitorbot.evaluate.engine import evaluate, report_snapshot
from monitorbot.evaluate.outcome import Evaluation
from monitorbot.evaluate.rules import RuleSet
from monitorbot.evaluate.snapshot import Snapshot
from monitorbot.forecast.spec import ForecastSpec
from monitorbot.notify.alerts import alert_messages
from monitorbot.notify.digest import digest_message
from monitorbot.notify.outbox import DeliveryReport, deliver, enqueue_evaluation
from monitorbot.store import db
from monitorbot.store.sync import record_file_changes


@dataclass
class CycleResult:
    evaluation: Evaluation
    queued: int
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


def evaluate_and_notify(
    engine: Engine,
    config: Config,
    settings: Settings,
    spec: ForecastSpec,
    rules: RuleSet,
    gemeente: str,
    *,
    now: datetime,
    peildatum: Peildatum | None = None,
    digest: bool = False,
    only: Callable[[Any], bool] | None = None,
    clock: Clock | None = None,
) -> CycleResult:
    """Evaluate `gemeente`, queue what there is to tell (and the digest), then deliver."""
    with db.transaction(engine) as session:
        alerts_root = settings.alerts_dir.resolve().parent
        record_file_changes(session, alerts_root, rules.checksums, now=now)
        evaluation = evaluate(session, config, spec, rules, gemeente, now=now, peildatum=peildatum)
        messages = alert_messages(evaluation)
        queued = enqueue_evaluation(session, config, messages, now=now, only=only)
        if digest:  # after the alerts, so it is delivered after them
            queued += _queue_digest(session, config, evaluation.snapshot, now=now, only=only)
    report = deliver(engine, config, settings, clock=clock or utc_now, gemeente=gemeente)
    return CycleResult(evaluation, queued, report)


def _queue_digest(
    session: Session,
    config: Config,
    snapshot: Snapshot,
    *,
    now: datetime,
    only: Callable[[Any], bool] | None,
) -> int:
    """The manager digest on the municipality's digest channel (with the workbook if asked)."""
    settings = config.gemeente(snapshot.gemeente)
    kanaal = settings.digest_kanaal
    workbook = any(getattr(d, "rapport_bijvoegen", False) for d in settings.kanalen.get(kanaal, []))
    message = digest_message(snapshot, with_workbook=workbook)
    return enqueue_evaluation(
        session,
        config,
        {kanaal: message},
        now=now,
        period=digest_period(config, snapshot.peildatum, now),
        only=only,
    )


def digest_period(config: Config, peildatum: Peildatum, now: datetime) -> str:
    """The period a digest covers: its peilmaand ("2026-10") or, when weekly, its ISO week."""
    if config.deployment.planning.digest == "wekelijks":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{peildatum.peilmaand:%Y-%m}"


def send_digest(
    engine: Engine,
    config: Config,
    settings: Settings,
    spec: ForecastSpec,
    gemeente: str,
    *,
    now: datetime,
    peildatum: Peildatum,
    only: Callable[[Any], bool] | None = None,
    clock: Clock | None = None,
) -> tuple[int, DeliveryReport]:
    """Only the digest (its own schedule: weekly or monthly), from a fresh snapshot."""
    with db.transaction(engine) as session:
        snapshot = report_snapshot(session, config, spec, gemeente, peildatum, now=now)
        queued = _queue_digest(session, config, snapshot, now=now, only=only)
    report = deliver(engine, config, settings, clock=clock or utc_now, gemeente=gemeente)
    return queued, report
