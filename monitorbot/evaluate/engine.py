"""Evaluate a municipality's rules: measure, observe, advance the lifecycle, store.

`evaluate` works on the database (states, evaluations with their inputs);
`replay` runs the same steps month by month on the data as it was known then,
with the state in memory, so a controller can tune thresholds on history
without changing anything.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.evaluate.lifecycle import (
    AlertState,
    AlertUpdate,
    Observation,
    SilenceRule,
    Step,
    advance,
    matches,
    observe,
)
from monitorbot.evaluate.metrics import MetricContext, measure, shift_months
from monitorbot.evaluate.rules import Rule, RuleSet
from monitorbot.forecast.spec import ForecastSpec
from monitorbot.store import models

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evaluation:
    """One evaluation of one municipality: every update, and the measurements behind them."""

    gemeente: str
    as_of: date
    now: datetime
    step: Step
    problems: list[str]
    peilmaand: date  # the month the monthly cycle reports on; repeats wait for the next one

    @property
    def firing(self) -> list[AlertUpdate]:
        return [u for u in self.step.updates if u.after.status == "firing"]

    def by_channel(self) -> dict[str, list[AlertUpdate]]:
        """What to send, grouped per channel name: one message per channel per evaluation."""
        groups: dict[str, list[AlertUpdate]] = {}
        for update in self.step.to_send:
            groups.setdefault(update.after.kanaal, []).append(update)
        return groups


@dataclass(frozen=True)
class Observed:
    observations: list[Observation]
    evaluated: set[str]  # rules whose metric was computed: only their absent rows lapse
    problems: list[str]


def observations(ctx: MetricContext, rules: Iterable[Rule]) -> Observed:
    """Apply each rule to every row of its metric; a metric that fails is reported, not fatal.

    A rule whose metric failed is not "evaluated": its firing alerts stay as
    they are instead of lapsing and coming back as new next time.
    """
    result: list[Observation] = []
    evaluated: set[str] = set()
    problems: list[str] = []
    for rule in rules:
        try:
            rows = measure(ctx, rule.metric, rule.scope)
        except Exception as exc:
            log.exception("metric %s niet berekend", rule.metric)
            problems.append(
                f"regel {rule.naam}: metric {rule.metric} niet berekend ({type(exc).__name__})"
            )
            continue
        evaluated.add(rule.naam)
        result.extend(observe(rule, row) for row in rows if matches(rule, row.labels))
    return Observed(result, evaluated, problems)


def peildatum(now: datetime, tz: str) -> date:
    """The data cut of a live evaluation: everything declared before tomorrow."""
    return now.astimezone(ZoneInfo(tz)).date() + timedelta(days=1)


def cycle_peilmaand(now: datetime, config: Config) -> date:
    """The month the latest monthly cycle reported on (on the 10th of November: October).

    A firing alert is repeated when this moves on, so repeats follow the
    monthly cycle, not the calendar: evaluations after new files on the 3rd do
    not repeat what the cycle on the 10th of the month before said.
    """
    local = now.astimezone(ZoneInfo(config.deployment.tijdzone)).date()
    cycle = local.replace(day=1)
    if local.day < config.deployment.planning.maandcyclus_dag:
        cycle = shift_months(cycle, -1)
    return shift_months(cycle, -1)


# --------------------------------------------------------------------------- database


def load_states(session: Session, gemeente: str) -> dict[str, AlertState]:
    rows = session.scalars(
        select(models.AlertState).where(models.AlertState.gemeente_code == gemeente)
    )
    return {row.fingerprint: _state_from_row(row) for row in rows}


def _state_from_row(row: models.AlertState) -> AlertState:
    return AlertState(
        fingerprint=row.fingerprint,
        regel=row.regel,
        labels=dict(row.labels),
        status=row.status,
        ernst=row.ernst,
        sinds=_aware(row.sinds),
        opeenvolgend=row.opeenvolgend,
        laatst_gemeld=_aware(row.laatst_gemeld),
        gemeld_peilmaand=row.gemeld_peilmaand,
        gemeld_ernst=row.gemeld_ernst,
        gemeld_status=row.gemeld_status,
        opgelost_op=_aware(row.opgelost_op),
        bevestigd_door=row.bevestigd_door,
        bevestigd_op=_aware(row.bevestigd_op),
        bevestiging=row.bevestiging,
        titel=row.titel or "",
        kanaal=row.kanaal or "",
        peilmaand=row.peilmaand,
        id=row.id,
    )


def _aware(value: datetime | None) -> datetime | None:
    """SQLite returns naive datetimes; everything here is stored in UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def load_silences(session: Session, gemeente: str) -> list[SilenceRule]:
    rows = session.scalars(select(models.Silence).where(models.Silence.gemeente_code == gemeente))
    return [
        SilenceRule(
            row.id,
            dict(row.matchers),
            row.door,
            row.reden,
            _aware(row.vanaf),  # type: ignore[arg-type]
            _aware(row.tot),  # type: ignore[arg-type]
            _aware(row.beeindigd_op),
        )
        for row in rows
    ]


def save(session: Session, evaluation: Evaluation) -> list[AlertUpdate]:
    """Write states and one evaluation record per observation (with its inputs).

    Returns the updates with their database ids, so notifications can refer to them.
    """
    saved = []
    for update in evaluation.step.updates:
        state = update.after
        if state.id is None and state.status == "inactief":
            saved.append(update)  # never pending, never firing: nothing to remember
            continue
        row = session.get(models.AlertState, state.id) if state.id is not None else None
        if row is None:
            row = models.AlertState(
                gemeente_code=evaluation.gemeente, fingerprint=state.fingerprint
            )
            session.add(row)
        _fill_row(row, state, update, evaluation.now)
        session.flush()
        if _worth_keeping(update):
            session.add(_evaluation_row(row.id, update, evaluation))
        saved.append(replace(update, after=replace(state, id=row.id)))
    return saved


def _worth_keeping(update: AlertUpdate) -> bool:
    """Inputs are stored when they explain something: a holding condition or a change.

    A quiet alert re-evaluated after every inbox scan would otherwise add a
    row per rule and row each time, without anything to explain.
    """
    if update.observation is None:
        return False
    return update.observation.holds or update.before.status != update.after.status


def _fill_row(
    row: models.AlertState, state: AlertState, update: AlertUpdate, now: datetime
) -> None:
    row.regel = state.regel
    row.labels = state.labels
    row.status = state.status
    row.ernst = state.ernst
    row.sinds = state.sinds or now
    row.opeenvolgend = state.opeenvolgend
    row.laatst_geevalueerd = now
    row.laatst_gemeld = state.laatst_gemeld
    row.gemeld_peilmaand = state.gemeld_peilmaand
    row.gemeld_ernst = state.gemeld_ernst
    row.gemeld_status = state.gemeld_status
    row.opgelost_op = state.opgelost_op
    row.bevestigd_door = state.bevestigd_door
    row.bevestigd_op = state.bevestigd_op
    row.bevestiging = state.bevestiging
    row.peilmaand = state.peilmaand
    row.titel = state.titel[:300]
    row.kanaal = state.kanaal
    if update.observation is not None:
        row.waarde = update.observation.measurement.waarde


def _evaluation_row(
    alert_id: int, update: AlertUpdate, evaluation: Evaluation
) -> models.AlertEvaluatie:
    observation = update.observation
    assert observation is not None
    measurement = observation.measurement
    drempel = observation.drempel
    return models.AlertEvaluatie(
        alert_id=alert_id,
        gemeente_code=evaluation.gemeente,
        geevalueerd_op=evaluation.now,
        peilmaand=evaluation.peilmaand,
        waarde=measurement.waarde,
        drempel=drempel if isinstance(drempel, (int, float)) else None,
        voldaan=observation.holds,
        invoer=_jsonable(
            {
                "titel": measurement.titel,
                "omschrijving": observation.rule.omschrijving,
                "metric": observation.rule.metric,
                "scope": observation.rule.scope,
                "drempels": {k: c.tekst for k, c in observation.rule.drempels.items()},
                "minimale_impact": (
                    observation.rule.minimale_impact.tekst
                    if observation.rule.minimale_impact
                    else None
                ),
                "ernst": observation.ernst,
                "drempel": drempel,
                "referenties": measurement.referenties,
                "impact_cents": measurement.impact_cents,
                "impact_te_klein": observation.impact_te_klein,
                "peildatum": evaluation.as_of.isoformat(),
                "status_voor": update.before.status,
                "status_na": update.after.status,
                "melding": update.melding,
                "onderdrukt": update.onderdrukt,
                **measurement.invoer,
            }
        ),
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 4)
    return value


# --------------------------------------------------------------------------- entry points


def evaluate(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    rules: RuleSet,
    gemeente: str,
    *,
    now: datetime,
    as_of: date | None = None,
    dry_run: bool = False,
) -> Evaluation:
    """One evaluation now; with `dry_run` nothing is written (the caller rolls back).

    Without `as_of` the data is everything known now. With a past `as_of`, the
    windows that count by ingestion time (quarantined files, findings) end there too.
    """
    if as_of is None:
        as_of, peilmaand = peildatum(now, config.deployment.tijdzone), cycle_peilmaand(now, config)
    else:
        peilmaand = shift_months(as_of, -1)
    # A past data cut (a replay, --as-of) also ends the ingestion-time windows; a cut of
    # today or later (live, or the demo's day) leaves them at now.
    window_end = now if as_of >= now.date() else datetime.combine(as_of, time(), UTC)
    ctx = MetricContext(session, config, spec, gemeente, as_of, window_end=window_end)
    observed = observations(ctx, rules.rules)
    step = advance(
        load_states(session, gemeente),
        observed.observations,
        observed.evaluated,
        gemeente=gemeente,
        now=now,
        peilmaand=peilmaand,
        silences=load_silences(session, gemeente),
    )
    evaluation = Evaluation(gemeente, as_of, now, step, observed.problems, peilmaand)
    if not dry_run:
        updates = save(session, evaluation)
        evaluation = replace(evaluation, step=Step(updates))
    return evaluation


@dataclass(frozen=True)
class ReplayMonth:
    as_of: date
    evaluation: Evaluation


def replay(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    rules: RuleSet,
    gemeente: str,
    months: list[date],
    *,
    on_month: Callable[[ReplayMonth], None] | None = None,
) -> list[ReplayMonth]:
    """Evaluate month by month on the data as known then, state in memory only.

    Each month is evaluated on the 10th day after it (the monthly cycle), with
    the declarations dated before that day; silences and acknowledgements are
    ignored, so the replay shows what the rules themselves would have done.
    """
    states: dict[str, AlertState] = {}
    result = []
    for month in months:
        as_of = shift_months(month, 1)
        as_of = as_of.replace(day=min(config.deployment.planning.maandcyclus_dag, 28))
        now = datetime.combine(as_of, time(7), UTC)
        ctx = MetricContext(session, config, spec, gemeente, as_of, window_end=now)
        observed = observations(ctx, rules.rules)
        step = advance(
            states,
            observed.observations,
            observed.evaluated,
            gemeente=gemeente,
            now=now,
            peilmaand=month,
            silences=[],
        )
        states = {u.after.fingerprint: u.after for u in step.updates} | {
            k: v for k, v in states.items() if k not in {u.after.fingerprint for u in step.updates}
        }
        entry = ReplayMonth(as_of, Evaluation(gemeente, as_of, now, step, observed.problems, month))
        result.append(entry)
        if on_month is not None:
            on_month(entry)
    return result
