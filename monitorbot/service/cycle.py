"""One evaluation with its notifications: the unit the CLI, the demo and the scheduler run.

Evaluate the rules, build one message per channel (and the digest when asked),
put them in the outbox in the same transaction as the alert states, commit,
then deliver. A crash before the commit loses nothing (nothing was decided);
a crash after it leaves the outbox to the next delivery run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from monitorbot.config import Config, Settings
from monitorbot.evaluate.engine import Evaluation, evaluate
from monitorbot.evaluate.metrics import shift_months
from monitorbot.evaluate.rules import RuleSet
from monitorbot.forecast.spec import ForecastSpec
from monitorbot.notify.alerts import MessageContext, alert_messages
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
    as_of: date | None = None,
    digest: bool = False,
    only: Callable[[Any], bool] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> CycleResult:
    """Evaluate `gemeente`, queue what there is to tell (and the digest), then deliver."""
    with db.transaction(engine) as session:
        alerts_root = settings.alerts_dir.resolve().parent
        record_file_changes(session, alerts_root, rules.checksums, now=now)
        evaluation = evaluate(session, config, spec, rules, gemeente, now=now, as_of=as_of)
        ctx = MessageContext(session, config, spec)
        messages = alert_messages(ctx, evaluation)
        queued = enqueue_evaluation(session, config, messages, now=now, only=only)
        if digest:  # after the alerts, so it is delivered after them
            queued += _queue_digest(session, ctx, gemeente, evaluation.as_of, now=now, only=only)
    report = deliver(
        engine, config, settings, clock=clock or (lambda: datetime.now(UTC)), gemeente=gemeente
    )
    return CycleResult(evaluation, queued, report)


def _queue_digest(
    session: Session,
    ctx: MessageContext,
    gemeente: str,
    as_of: date,
    *,
    now: datetime,
    only: Callable[[Any], bool] | None,
) -> int:
    """The manager digest on the municipality's digest channel (with the workbook if asked)."""
    settings = ctx.config.gemeente(gemeente)
    kanaal = settings.digest_kanaal
    workbook = any(getattr(d, "rapport_bijvoegen", False) for d in settings.kanalen.get(kanaal, []))
    message = digest_message(ctx, gemeente, as_of, now, with_workbook=workbook)
    return enqueue_evaluation(
        session,
        ctx.config,
        {kanaal: message},
        now=now,
        period=digest_period(ctx.config, as_of, now),
        only=only,
    )


def digest_period(config: Config, as_of: date, now: datetime) -> str:
    """The period a digest covers: its month ("2026-10") or, when weekly, its ISO week."""
    if config.deployment.planning.digest == "wekelijks":
        year, week, _ = now.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{shift_months(as_of, -1):%Y-%m}"


def send_digest(
    engine: Engine,
    config: Config,
    settings: Settings,
    spec: ForecastSpec,
    gemeente: str,
    *,
    now: datetime,
    as_of: date,
    only: Callable[[Any], bool] | None = None,
    clock: Callable[[], datetime] | None = None,
) -> tuple[int, DeliveryReport]:
    """Only the digest (its own schedule: weekly or monthly)."""
    with db.transaction(engine) as session:
        ctx = MessageContext(session, config, spec)
        queued = _queue_digest(session, ctx, gemeente, as_of, now=now, only=only)
    report = deliver(
        engine, config, settings, clock=clock or (lambda: datetime.now(UTC)), gemeente=gemeente
    )
    return queued, report
