"""The alert lifecycle: pending → firing → resolved, and when to tell people.

Pure functions over plain values, so the same code drives a live evaluation
(state in the database), a dry run and a replay over history (state in
memory), and tests run with an injected clock instead of sleeping. The steps
follow Alertmanager's pipeline: state transition, then inhibition (a bigger
alert mutes a smaller one), silences (a person muted it until an expiry),
acknowledgement, and dedup against what was already told (repeat interval).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from monitorbot.core.states import AlertStatus, Ernst, Melding
from monitorbot.evaluate.catalogue import BY_NAME
from monitorbot.evaluate.rules import Kant, Rule
from monitorbot.evaluate.snapshot import Measurement

SEVERITY_RANK = {Ernst.WAARSCHUWING: 1, Ernst.KRITIEK: 2}  # higher is more severe


def fingerprint(gemeente: str, rule: str, labels: dict[str, str]) -> str:
    """Identity of one alert: its rule and labels, never its message text or value."""
    key = json.dumps({"gemeente": gemeente, "regel": rule, **labels}, sort_keys=True)
    return hashlib.sha256(key.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class Observation:
    """One rule applied to one row of its metric in one evaluation."""

    rule: Rule
    measurement: Measurement
    ernst: Ernst | None  # the highest severity whose condition holds (and impact suffices)
    drempel: Any  # the threshold of that severity (or of the lowest one when nothing holds)
    impact_te_klein: bool = False
    voorwaarde: str = ""  # the condition as written, e.g. "> 1,5 × norm"

    @property
    def labels(self) -> dict[str, str]:
        return {**self.measurement.labels, **self.rule.labels}

    @property
    def holds(self) -> bool:
        return self.ernst is not None

    @property
    def kant(self) -> Kant | None:
        """The way the value deviates: high or low (None when nothing holds)."""
        if self.ernst is None:
            return None
        condition = self.rule.drempels[self.ernst]
        if condition.richting is not None:
            return condition.richting
        if isinstance(self.drempel, tuple) and self.measurement.waarde is not None:
            return "hoog" if self.measurement.waarde > self.drempel[1] else "laag"
        if condition.op == "mist":  # a target "< 40" is missed high, "> 50" is missed low
            direction = self.measurement.referenties.get("kpi_richting", "")
            return "hoog" if str(direction).startswith("<") else "laag"
        return None

    @property
    def omschrijving(self) -> str:
        """The rule's description for the way the value actually deviates."""
        return self.rule.tekst(self.kant)[0]

    @property
    def actie(self) -> str:
        return self.rule.tekst(self.kant)[1]


def observe(rule: Rule, measurement: Measurement) -> Observation:
    """Which severity holds for this row (kritiek wins over waarschuwing)."""
    lowest = min(rule.drempels, key=lambda e: SEVERITY_RANK[e])
    if measurement.waarde is None:
        return Observation(rule, measurement, None, None, voorwaarde=rule.drempels[lowest].tekst)
    references = measurement.referenties
    for ernst in sorted(rule.drempels, key=lambda e: -SEVERITY_RANK[e]):
        condition = rule.drempels[ernst]
        if not condition.holds(measurement.waarde, references):
            continue
        threshold = condition.threshold(references)
        minimum = rule.minimale_impact.waarde if rule.minimale_impact else None
        if minimum is not None and (measurement.impact_cents or 0.0) < minimum:
            return Observation(rule, measurement, None, threshold, True, condition.tekst)
        return Observation(rule, measurement, ernst, threshold, False, condition.tekst)
    condition = rule.drempels[lowest]
    return Observation(
        rule, measurement, None, condition.threshold(references), False, condition.tekst
    )


def matches(rule: Rule, labels: dict[str, str]) -> bool:
    """A rule's `filter` (e.g. only some percelen) against a row's labels."""
    return all(labels.get(key) in values for key, values in rule.filter.items())


@dataclass(frozen=True)
class AlertState:
    """What the lifecycle remembers about one alert between evaluations."""

    fingerprint: str
    regel: str
    labels: dict[str, str]
    status: AlertStatus = AlertStatus.INACTIEF
    ernst: Ernst | None = None
    sinds: datetime | None = None
    opeenvolgend: int = 0
    laatst_gemeld: datetime | None = None
    gemeld_peilmaand: date | None = None
    gemeld_ernst: Ernst | None = None
    gemeld_status: AlertStatus | None = None  # firing or resolved: what people were last told
    opgelost_op: datetime | None = None
    bevestigd_door: str | None = None
    bevestigd_op: datetime | None = None
    bevestiging: str | None = None
    titel: str = ""
    kanaal: str = ""
    peilmaand: date | None = None  # the cycle of the last holding evaluation (for `voor`)
    id: int | None = None

    @property
    def bevestigd(self) -> bool:
        return self.bevestigd_op is not None


@dataclass(frozen=True)
class SilenceRule:
    """A person's silence: every alert whose labels match all matchers stays quiet."""

    id: int
    matchers: dict[str, str]
    door: str
    reden: str
    vanaf: datetime
    tot: datetime
    beeindigd_op: datetime | None = None

    def active(self, now: datetime) -> bool:
        return self.beeindigd_op is None and self.vanaf <= now < self.tot

    def covers(self, regel: str, labels: dict[str, str]) -> bool:
        values = {"regel": regel, **labels}
        return all(values.get(key) == value for key, value in self.matchers.items())


@dataclass(frozen=True)
class AlertUpdate:
    """One alert after this evaluation, and what (if anything) to tell people."""

    before: AlertState
    after: AlertState
    observation: Observation | None  # None: the row no longer exists (resolved by absence)
    melding: Melding | None = None
    onderdrukt: str | None = None  # why a melding is not sent: stilte, geremd, bevestigd

    @property
    def rule(self) -> Rule | None:
        return self.observation.rule if self.observation else None

    @property
    def te_versturen(self) -> bool:
        return self.melding is not None and self.onderdrukt is None


def transition(
    state: AlertState,
    observation: Observation | None,
    now: datetime,
    voor: int,
    peilmaand: date | None = None,
) -> AlertState:
    """The next state: holding in `voor` consecutive monthly cycles makes a pending alert fire.

    Consecutive cycles, not evaluations: the inbox scan evaluates again after
    every new file, and three files on one day are not three months.
    """
    holds = observation is not None and observation.holds
    if holds:
        assert observation is not None
        same_cycle = peilmaand is not None and state.peilmaand == peilmaand
        if state.status in (AlertStatus.PENDING, AlertStatus.FIRING):
            count = state.opeenvolgend if same_cycle else state.opeenvolgend + 1
        else:
            count = 1
        if state.status == AlertStatus.FIRING:
            return replace(state, ernst=observation.ernst, opeenvolgend=count, peilmaand=peilmaand)
        fresh = state.status in (AlertStatus.INACTIEF, AlertStatus.RESOLVED)
        base = replace(
            state,
            ernst=observation.ernst,
            opeenvolgend=count,
            sinds=now if fresh else state.sinds,
            opgelost_op=None,
        )
        if fresh:  # a new episode: an old acknowledgement does not carry over
            base = replace(base, bevestigd_door=None, bevestigd_op=None, bevestiging=None)
        status = AlertStatus.FIRING if count >= voor else AlertStatus.PENDING
        return replace(base, status=status, peilmaand=peilmaand)
    if state.status == AlertStatus.FIRING:
        return replace(state, status=AlertStatus.RESOLVED, opeenvolgend=0, opgelost_op=now)
    if state.status == AlertStatus.PENDING:
        return replace(state, status=AlertStatus.INACTIEF, opeenvolgend=0, sinds=None, ernst=None)
    return replace(state, opeenvolgend=0)


def melding(before: AlertState, after: AlertState, peilmaand: date, herhaal: str) -> Melding | None:
    """What changed for people since they were last told (dedup and repeat interval).

    `herhaal: nooit` is a one-off notice (an unusual month): told once, and not
    announced again when it ends.
    """
    if after.status == AlertStatus.RESOLVED:
        told = before.status == AlertStatus.FIRING and before.gemeld_status == AlertStatus.FIRING
        return Melding.OPGELOST if told and herhaal != "nooit" else None
    if after.status != AlertStatus.FIRING:
        return None
    if after.gemeld_status != AlertStatus.FIRING or before.status != AlertStatus.FIRING:
        return Melding.NIEUW
    if SEVERITY_RANK.get(after.ernst or "", 0) > SEVERITY_RANK.get(after.gemeld_ernst or "", 0):
        return Melding.ERNSTIGER
    if herhaal == "elke_evaluatie":
        return Melding.HERHALING
    if herhaal == "maandcyclus" and (
        after.gemeld_peilmaand is None or after.gemeld_peilmaand < peilmaand
    ):
        return Melding.HERHALING
    return None


IDENTITY = ("perceel", "aanbieder", "domein", "totaal", "kpi")


@dataclass
class Inhibition:
    """A firing `bron` alert mutes `doel` alerts about the same thing.

    "The same thing" is `gelijk`: label names whose values must match; with
    `zelfde_rij` the source must be about exactly the target's row (the same
    perceel and provider, nothing broader or narrower) and the same kind of metric.
    """

    naam: str
    bron: dict[str, str]
    doel: dict[str, str]
    gelijk: tuple[str, ...] = ()
    zelfde_rij: bool = False


INHIBITIONS: tuple[Inhibition, ...] = (
    # Data quality first: incomplete data explains a cost signal, not the other way round.
    Inhibition(
        "datakwaliteit dempt kosten",
        {"soort": "datakwaliteit"},
        {"soort": "kosten"},
        ("aanbieder",),
    ),
    Inhibition(
        "kritiek dempt waarschuwing",
        {"ernst": Ernst.KRITIEK},
        {"ernst": Ernst.WAARSCHUWING},
        zelfde_rij=True,
    ),
)


def _facts(update: AlertUpdate) -> dict[str, str]:
    rule = update.rule
    return {
        **update.after.labels,
        "regel": update.after.regel,
        "ernst": update.after.ernst or "",
        "soort": BY_NAME[rule.metric].soort if rule else "",
    }


def _same_row(source: dict[str, str], target: dict[str, str]) -> bool:
    return source["soort"] == target["soort"] and all(
        source.get(label) == target.get(label) for label in IDENTITY
    )


def _mutes(inhibition: Inhibition, source: dict[str, str], target: dict[str, str]) -> bool:
    if any(source.get(k) != v for k, v in inhibition.bron.items()):
        return False
    if any(target.get(k) != v for k, v in inhibition.doel.items()):
        return False
    if any(not target.get(key) or source.get(key) != target[key] for key in inhibition.gelijk):
        return False
    return not inhibition.zelfde_rij or _same_row(source, target)


def inhibitions(updates: list[AlertUpdate]) -> dict[int, str]:
    """Which firing updates are muted, and by what (keyed by position in `updates`).

    Inhibitions apply in the order of INHIBITIONS, and an alert muted by an
    earlier one cannot mute others: a cost alert that is muted because its
    provider's data is incomplete must not in turn mute that data alert.
    """
    facts = [_facts(update) for update in updates]
    firing = [i for i, u in enumerate(updates) if u.after.status == AlertStatus.FIRING]
    muted: dict[int, str] = {}
    for inhibition in INHIBITIONS:
        sources = [i for i in firing if i not in muted]
        for target in firing:
            if target in muted:
                continue
            source = next(
                (i for i in sources if i != target and _mutes(inhibition, facts[i], facts[target])),
                None,
            )
            if source is not None:
                muted[target] = f"{inhibition.naam} ({updates[source].after.regel})"
    return muted


@dataclass
class Step:
    """The outcome of one evaluation for one municipality."""

    updates: list[AlertUpdate] = field(default_factory=list)

    @property
    def to_send(self) -> list[AlertUpdate]:
        return [u for u in self.updates if u.te_versturen]


def advance(
    states: dict[str, AlertState],
    observations: list[Observation],
    evaluated_rules: set[str],
    *,
    gemeente: str,
    now: datetime,
    peilmaand: date,
    silences: list[SilenceRule],
) -> Step:
    """One evaluation: new states for every observed or previously active alert.

    An alert of an evaluated rule whose row is gone (a provider without data
    now) resolves; alerts of rules that were not evaluated are left alone.
    """
    updates: list[AlertUpdate] = []
    seen: set[str] = set()
    for observation in observations:
        key = fingerprint(gemeente, observation.rule.naam, observation.labels)
        seen.add(key)
        before = states.get(key) or AlertState(key, observation.rule.naam, observation.labels)
        after = replace(
            transition(before, observation, now, observation.rule.voor, peilmaand),
            titel=observation.measurement.titel,
            kanaal=observation.rule.kanaal,
        )
        updates.append(AlertUpdate(before, after, observation))
    for key, before in states.items():
        if key in seen or before.regel not in evaluated_rules:
            continue
        if before.status in (AlertStatus.PENDING, AlertStatus.FIRING):
            updates.append(AlertUpdate(before, transition(before, None, now, 1), None))
    muted = inhibitions(updates)
    result = Step()
    for position, update in enumerate(updates):
        if update.observation is None:
            # The row is gone (the year closed, a provider without data): the alert
            # lapses quietly; "opgelost" would claim a problem was solved.
            result.updates.append(update)
            continue
        herhaal = update.rule.herhaal if update.rule else "maandcyclus"
        told = melding(update.before, update.after, peilmaand, herhaal)
        reason = None
        if told is not None:
            silence = next(
                (
                    s
                    for s in silences
                    if s.active(now) and s.covers(update.after.regel, update.after.labels)
                ),
                None,
            )
            if silence is not None:
                reason = f"stilte #{silence.id} ({silence.reden}, tot {silence.tot:%d-%m-%Y})"
            elif position in muted:
                reason = f"geremd: {muted[position]}"
            elif told == Melding.HERHALING and update.after.bevestigd:
                reason = f"bevestigd door {update.after.bevestigd_door}"
        after = update.after
        if told is not None and reason is None:
            after = replace(
                after,
                laatst_gemeld=now,
                gemeld_peilmaand=peilmaand,
                gemeld_ernst=after.ernst
                if after.status == AlertStatus.FIRING
                else after.gemeld_ernst,
                gemeld_status=after.status,
            )
        result.updates.append(replace(update, after=after, melding=told, onderdrukt=reason))
    return result
