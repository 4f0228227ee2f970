"""Try a rule on history before saving it: what it did, what a change would have done.

A controller who lowers a threshold wants to know, before the whole kernteam
gets the extra messages, how often it would have fired and whether it would
have warned earlier about the year's overrun. Both versions are replayed on
the data as known at the end of each month (`replay_steps`, sharing the
month's forecasts); the overrun rows come from the budget report as known now.
`monitorbot rules test` prints the same lead times for a whole rule file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date

from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.core.calendar import Peildatum
from monitorbot.core.states import AlertStatus, Melding
from monitorbot.evaluate.catalogue import BUDGET_METRICS, format_value
from monitorbot.evaluate.engine import replay_steps
from monitorbot.evaluate.lifecycle import AlertUpdate, Step
from monitorbot.evaluate.outcome import (
    CHANGED,
    CURRENT,
    Fired,
    FirstAlert,
    Overrun,
    Trial,
    TrialMonth,
)
from monitorbot.evaluate.rules import Rule
from monitorbot.forecast.prognosis import build_budget_report
from monitorbot.forecast.results import BudgetReport
from monitorbot.forecast.spec import ForecastSpec

#: An overrun worth asking "when did we know?" about (€ 25.000).
MATERIAL_OVERRUN_CENTS = 2_500_000


def try_rule(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    current: Rule,
    changed: Rule,
    months: list[date],
    today: date,
    *,
    on_month: Callable[[int], None] | None = None,
) -> Trial:
    """Replay both versions of one rule over `months`; `on_month` gets the months done."""
    history: dict[str, list[tuple[date, Step]]] = {CURRENT: [], CHANGED: []}
    budget = current.metric in BUDGET_METRICS
    known: dict[int, tuple[Peildatum, BudgetReport]] = {}
    result = []
    replayed = replay_steps(
        session, config, spec, gemeente, months, {CURRENT: (current,), CHANGED: (changed,)}
    )
    for done, (month, ctx, steps) in enumerate(replayed, start=1):
        for version, (step, _states, _observed) in steps.items():
            history[version].append((month, step))
        if budget:  # the report the budget rule was measured on (computed once, cached)
            known[ctx.peildatum.jaar] = (ctx.peildatum, ctx.budget)
        result.append(
            TrialMonth(
                month, _fired(steps[CURRENT][0], current), _fired(steps[CHANGED][0], changed)
            )
        )
        if on_month is not None:
            on_month(done)
    overruns = (
        material_overruns(
            session, config, spec, gemeente, history, known, today, niveau=current.scope
        )
        if budget
        else []
    )
    return Trial(tuple(result), tuple(overruns), budget)


def _fired(step: Step, rule: Rule) -> tuple[Fired, ...]:
    return tuple(
        Fired(
            onderwerp=u.after.titel,
            ernst=u.after.ernst,
            waarde=(
                format_value(rule.metric, u.observation.measurement.waarde)
                if u.observation and u.observation.measurement.waarde is not None
                else ""
            ),
            nieuw=u.melding in (Melding.NIEUW, Melding.ERNSTIGER),
        )
        for u in sorted(step.updates, key=lambda u: u.after.titel)
        if u.after.status == AlertStatus.FIRING
    )


def first_alerts(steps: Iterable[tuple[date, Step]]) -> dict[tuple[int, str], FirstAlert]:
    """Per (year, budget-table row) the first month a budget rule fired on it."""
    first: dict[tuple[int, str], FirstAlert] = {}
    for month, step in steps:
        for update in step.updates:
            if update.after.status != AlertStatus.FIRING or not _about_a_budget_row(update):
                continue
            inputs = update.observation.measurement.invoer if update.observation else {}
            first.setdefault(
                (month.year, row_key(update.after.labels)),
                FirstAlert(month, update.after.regel, inputs),
            )
    return first


def _about_a_budget_row(update: AlertUpdate) -> bool:
    rule = update.rule
    if rule is None or rule.metric not in BUDGET_METRICS:
        return False
    return "aanbieder" not in update.after.labels


def row_key(labels: dict[str, str]) -> str:
    """Which budget-table row an alert is about: its perceel, domain or the total."""
    return labels.get("perceel") or (
        f"domein:{labels['domein']}" if "domein" in labels else labels.get("totaal", "")
    )


def material_overruns(
    session: Session,
    config: Config,
    spec: ForecastSpec,
    gemeente: str,
    versions: dict[str, list[tuple[date, Step]]],
    known: dict[int, tuple[Peildatum, BudgetReport]],
    today: date,
    *,
    niveau: str | None = None,
) -> list[Overrun]:
    """Every year's material overrun with each version's first alert on it; with `niveau`
    (a rule's scope: perceel, domein, totaal) only the rows that rule can fire on.

    A closed year is measured on its outcome (the data as known `today`); a year still
    open on the prognosis of its last replayed month (`known`: the report that month's
    evaluation computed), so the figure is the one the stored evaluation of that month
    shows in every output, not a second prognosis made today.
    """
    firsts = {version: first_alerts(steps) for version, steps in versions.items()}
    now = Peildatum.op(today)
    found = []
    for year, (peildatum, last_known) in sorted(known.items()):
        closed = now.year_closed(year)
        report = (
            build_budget_report(session, config, spec, gemeente, year, now)
            if closed
            else last_known
        )
        for row in report.rows:
            if row.niveau == "onderdeel" or row.restant_cents is None or row.v_n != "N":
                continue
            if niveau is not None and row.niveau != niveau:
                continue
            if -row.restant_cents < MATERIAL_OVERRUN_CENTS:
                continue
            found.append(
                Overrun(
                    jaar=year,
                    naam=row.naam,
                    overschrijding_cents=round(-row.restant_cents),
                    stand=None if closed else peildatum,
                    eerste={v: first.get((year, row.perceel)) for v, first in firsts.items()},
                )
            )
    return found


def basis(inputs: dict) -> str:
    """What a first alert rested on: the figure as known then, and whose figure it was."""
    prognose, begroting = inputs.get("prognose_cents"), inputs.get("begroting_cents")
    if prognose is None or begroting is None:
        return "figuur van toen onbekend"
    bron = "correctie controller" if inputs.get("bron") == "correctie" else "model"
    return (
        f"toen: prognose {format_value('prognose', prognose)} ({bron}) tegen begroting "
        f"{format_value('prognose', begroting)}"
    )
