"""Evaluate a municipality's rules: measure, observe, advance the lifecycle, store.

`evaluate` works on the database (states, evaluations with their inputs, and
the snapshot every output reads); `replay` runs the same steps month by month
on the data as it was known then, with the state in memory, so a controller can
tune thresholds on history without changing anything. Both build a snapshot per
evaluation with `collect_snapshot`, the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.core.calendar import Peildatum, shift_months
from monitorbot.core.clock import aware
from monitorbot.core.states import AlertStatus, Ernst
from monitorbot.evaluate.collect import alert_entries, collect_snapshot
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
from monitorbot.evaluate.metrics import MetricContext, measure
from monitorbot.evaluate.outcome import Evaluation, ReplayMonth
from monitorbot.evaluate.rules import Rule, RuleSet
from monitorbot.evaluate.snapshot import Snapshot
from monitorbot.forecast.spec import ForecastSpec
from monitorbot.store import models
from monitorbot.store.queries.alerts import latest_inputs

log = logging.getLogger(__name__)


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
        except SQLAlchemyError:
            raise  # the database failed, not the metric: the whole evaluation is retried
        except Exception as exc:
            log.exception("metric %s niet berekend", rule.metric)
            problems.append(
                f"regel {rule.naam}: metric {rule.metric} niet berekend ({type(exc).__name__})"
            )
            continue
        evaluated.add(rule.naam)
        result.extend(observe(rule, row) for row in rows if matches(rule, row.labels))
    return Observed(result, evaluated, problems)


def in_the_past(peildatum: Peildatum, now: datetime, config: Config) -> bool:
    """Whether a monthly cycle before `now` already reported on the peildatum's month."""
    return peildatum.peilmaand < cycle_peilmaand(now, config)


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
        status=AlertStatus(row.status),
        ernst=Ernst(row.ernst) if row.ernst else None,
        sinds=_aware(row.sinds),
        opeenvolgend=row.opeenvolgend,
        laatst_gemeld=_aware(row.laatst_gemeld),
        gemeld_peilmaand=row.gemeld_peilmaand,
        gemeld_ernst=Ernst(row.gemeld_ernst) if row.gemeld_ernst else None,
        gemeld_status=AlertStatus(row.gemeld_status) if row.gemeld_status else None,
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
    return None if value is None else aware(value)


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


def save(
    session: Session,
    gemeente: str,
    peildatum: Peildatum,
    cyclus: date,
    now: datetime,
    step: Step,
) -> list[AlertUpdate]:
    """Write states and one evaluation record per observation (with its inputs).

    Returns the updates with their database ids, so notifications can refer to them.
    """
    saved = []
    for update in step.updates:
        state = update.after
        if state.id is None and state.status == AlertStatus.INACTIEF:
            saved.append(update)  # never pending, never firing: nothing to remember
            continue
        row = session.get(models.AlertState, state.id) if state.id is not None else None
        if row is None:
            row = models.AlertState(gemeente_code=gemeente, fingerprint=state.fingerprint)
            session.add(row)
        _fill_row(row, state, update, now)
        session.flush()
        if _worth_keeping(update):
            session.add(_evaluation_row(row.id, update, gemeente, peildatum, cyclus, now))
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
    alert_id: int,
    update: AlertUpdate,
    gemeente: str,
    peildatum: Peildatum,
    cyclus: date,
    now: datetime,
) -> models.AlertEvaluatie:
    observation = update.observation
    assert observation is not None
    measurement = observation.measurement
    drempel = observation.drempel
    return models.AlertEvaluatie(
        alert_id=alert_id,
        gemeente_code=gemeente,
        geevalueerd_op=now,
        peilmaand=cyclus,
        waarde=measurement.waarde,
        drempel=drempel if isinstance(drempel, (int, float)) else None,
        voldaan=observation.holds,
        invoer=observed_inputs(update, peildatum),
    )


def observed_inputs(update: AlertUpdate, peildatum: Peildatum) -> dict[str, Any]:
    """What an observation saw, as stored with the evaluation and kept in the snapshot."""
    observation = update.observation
    assert observation is not None
    measurement = observation.measurement
    drempel = observation.drempel
    return _jsonable(
        {
            "titel": measurement.titel,
            "omschrijving": observation.omschrijving,
            "metric": observation.rule.metric,
            "scope": observation.rule.scope,
            "drempels": {k: c.tekst for k, c in observation.rule.drempels.items()},
            "minimale_impact": (
                observation.rule.minimale_impact.tekst if observation.rule.minimale_impact else None
            ),
            "ernst": observation.ernst,
            "drempel": drempel,
            "referenties": measurement.referenties,
            "impact_cents": measurement.impact_cents,
            "impact_te_klein": observation.impact_te_klein,
            "peildatum": peildatum.code,
            "status_voor": update.before.status,
            "status_na": update.after.status,
            "melding": update.melding,
            "onderdrukt": update.onderdrukt,
            **measurement.invoer,
        }
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
    peildatum: Peildatum | None = None,
    dry_run: bool = False,
) -> Evaluation:
    """One evaluation now; with `dry_run` nothing is written (the caller rolls back).

    Without `peildatum` the data is everything known now and the evaluation
    belongs to the latest monthly cycle (repeats follow the cycle). With one, it
    belongs to that peildatum's month. A month an earlier cycle already reported
    on is history (`in_the_past`): replay it, do not evaluate it into the states.
    """
    cyclus = cycle_peilmaand(now, config) if peildatum is None else peildatum.peilmaand
    peildatum = peildatum or Peildatum.nu(now, config.deployment.tijdzone)
    ctx = MetricContext(session, config, spec, gemeente, peildatum)
    observed = observations(ctx, rules.voor(gemeente))
    states = load_states(session, gemeente)
    step = advance(
        states,
        observed.observations,
        observed.evaluated,
        gemeente=gemeente,
        now=now,
        peilmaand=cyclus,
        silences=load_silences(session, gemeente),
    )
    if not dry_run:
        updates = save(session, gemeente, peildatum, cyclus, now, step)
        step = Step(updates)
    after = {fp: state for fp, state in states.items()} | {
        u.after.fingerprint: u.after for u in step.updates
    }
    alerts = alert_entries(
        after.values(), _observed(step, peildatum), latest_inputs(session, gemeente)
    )
    snapshot = collect_snapshot(ctx, now=now, alerts=alerts)
    if not dry_run:
        store_snapshot(session, snapshot)
    return Evaluation(gemeente, peildatum, now, step, observed.problems, cyclus, snapshot)


def _observed(step: Step, peildatum: Peildatum) -> dict[str, tuple[str, float | None, dict]]:
    return {
        u.after.fingerprint: (
            u.observation.rule.metric,
            u.observation.measurement.waarde,
            observed_inputs(u, peildatum),
        )
        for u in step.updates
        if u.observation is not None
    }


def report_snapshot(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    peildatum: Peildatum,
    *,
    now: datetime,
) -> Snapshot:
    """The snapshot for a report made without an evaluation: alerts as stored then."""
    ctx = MetricContext(session, config, spec, gemeente, peildatum)
    cut = ctx.window_end
    states = [
        s for s in load_states(session, gemeente).values() if s.sinds is None or s.sinds < cut
    ]
    alerts = alert_entries(states, {}, latest_inputs(session, gemeente))
    return collect_snapshot(ctx, now=now, alerts=alerts)


def store_snapshot(session: Session, snapshot: Snapshot) -> None:
    session.add(
        models.Momentopname(
            gemeente_code=snapshot.gemeente,
            peildatum=snapshot.peildatum.grens,
            soort=snapshot.peildatum.soort,
            berekend_op=snapshot.berekend_op,
            inhoud=snapshot.to_json(),
        )
    )


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
    """Evaluate month by month on the data as known at the end of each, state in memory only.

    Each peilmaand is evaluated as `--as-of` reads it: everything known by the
    end of that month. Silences and acknowledgements are ignored, so the replay
    shows what the rules themselves would have done.
    """
    result = []
    for month, ctx, steps in replay_steps(
        session, config, spec, gemeente, months, {"": rules.voor(gemeente)}
    ):
        step, states, observed = steps[""]
        peildatum, now = ctx.peildatum, _replay_moment(ctx.peildatum, config)
        alerts = alert_entries(states.values(), _observed(step, peildatum), {})
        snapshot = collect_snapshot(ctx, now=now, alerts=alerts)
        evaluation = Evaluation(gemeente, peildatum, now, step, observed.problems, month, snapshot)
        entry = ReplayMonth(evaluation)
        result.append(entry)
        if on_month is not None:
            on_month(entry)
    return result


ReplayedStep = tuple[Step, dict[str, AlertState], Observed]


def replay_steps(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    months: list[date],
    variants: dict[str, tuple[Rule, ...]],
) -> Iterator[tuple[date, MetricContext, dict[str, ReplayedStep]]]:
    """The lifecycle month by month for several versions of the rules side by side.

    The versions share each month's metric context, so the forecasts behind
    them are computed once: trying a threshold costs one replay, not two. Each
    version keeps its own alert states in memory; nothing is written.
    """
    states: dict[str, dict[str, AlertState]] = {name: {} for name in variants}
    for month in months:
        peildatum = Peildatum.einde_maand(month)
        now = _replay_moment(peildatum, config)
        ctx = MetricContext(session, config, spec, gemeente, peildatum)
        steps: dict[str, ReplayedStep] = {}
        for name, rules in variants.items():
            observed = observations(ctx, rules)
            step = advance(
                states[name],
                observed.observations,
                observed.evaluated,
                gemeente=gemeente,
                now=now,
                peilmaand=month,
                silences=[],
            )
            states[name] = states[name] | {u.after.fingerprint: u.after for u in step.updates}
            steps[name] = (step, states[name], observed)
        yield month, ctx, steps


def _replay_moment(peildatum: Peildatum, config: Config) -> datetime:
    """When a replayed month is evaluated: 07:00 local on its peildatum."""
    zone = ZoneInfo(config.deployment.tijdzone)
    return datetime.combine(peildatum.grens, time(7), zone).astimezone(UTC)
