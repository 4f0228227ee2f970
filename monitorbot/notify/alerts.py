"""The kernteam message: per alert the numbers, the why, the chart and what to do.

One message per channel per evaluation (Alertmanager's grouping). It reads
like the municipalities' own reports: the number, the comparison, the reason,
the action. Everything in it comes from aggregates: the evaluation's stored
inputs, the growth decomposition (ranks, never clients) and the trend chart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from monitorbot.config import Config
from monitorbot.evaluate.catalogue import METRICS, REFERENCES, format_value
from monitorbot.evaluate.engine import Evaluation
from monitorbot.evaluate.lifecycle import SEVERITY_ORDER, AlertUpdate, Observation
from monitorbot.evaluate.metrics import MIN_CLIENTS
from monitorbot.forecast.prognosis import monthly_prognosis
from monitorbot.forecast.series import through_month
from monitorbot.forecast.spec import ForecastSpec
from monitorbot.forecast.why import decompose, year_on_year
from monitorbot.money import format_change, format_euros
from monitorbot.notify.chart import trend_chart
from monitorbot.notify.message import Attachment, Message, MessageField, Section

CHART_METRICS = {"prognose_afwijking_pct", "prognose", "groei_boven_begroting_pct", "maandkosten"}
WHY_METRICS = CHART_METRICS | {"unieke_clienten_groei_pct", "kosten_per_client_groei_pct"}
MONTH_NAMES = [
    "januari", "februari", "maart", "april", "mei", "juni",
    "juli", "augustus", "september", "oktober", "november", "december",
]  # fmt: skip


def _euros(value: Any) -> str:
    return f"€ {format_euros(round(value))}"


def _percent(value: Any) -> str:
    return format_change(float(value))


def _month(value: Any) -> str:
    day = date.fromisoformat(str(value)[:10])
    return f"{MONTH_NAMES[day.month - 1]} {day.year}"


def _plain(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "-"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "-"
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",").removesuffix(",0")
    return str(value)


# The inputs worth showing, in the order a controller reads them, with their format.
INPUT_FIELDS: list[tuple[str, str, Callable[[Any], str]]] = [
    ("begroting_cents", "Begroting", _euros),
    ("budgetindicatie_cents", "Budgetindicatie", _euros),
    ("prognose_cents", "Prognose", _euros),
    ("restant_cents", "Restant", _euros),
    ("v_n", "V/N", _plain),
    ("afwijking_pct", "Afwijking", _percent),
    ("overschrijding_maand", "Indicatie overschreden in", _month),
    ("gedeclareerd_cents", "Gedeclareerd tot nu", _euros),
    ("verwacht_compleet_cents", "Verwacht compleet", _euros),
    ("zorgmaand", "Zorgmaand", _month),
    ("voorspeld_cents", "Voorspeld", _euros),
    ("realisatie_vorig_jaar_cents", "Realisatie vorig jaar", _euros),
    ("groei_excl_indexatie_pct", "Groei excl. indexatie", _percent),
    ("groei_incl_indexatie_pct", "Groei incl. indexatie", _percent),
    ("begrote_groei_excl_indexatie_pct", "Begrote groei excl. indexatie", _percent),
    ("unieke_clienten", "Unieke cliënten", _plain),
    ("unieke_clienten_vorig_jaar", "Unieke cliënten jaar eerder", _plain),
    ("kosten_per_client_cents", "Kosten per cliënt", _euros),
    ("top10_aandeel_pct", "Aandeel top-10 cliënten", lambda v: f"{_plain(v)} %"),
    ("boven_hoge_kosten_grens", "Cliënten boven hoge-kostengrens", _plain),
    ("mediaan_dagen", "Mediane wachttijd", lambda v: f"{_plain(v)} dagen"),
    ("p90_dagen", "90e percentiel", lambda v: f"{_plain(v)} dagen"),
    ("norm_dagen", "Norm", lambda v: f"{_plain(v)} dagen"),
    ("gestart", "Gestart (12 mnd)", _plain),
    ("boven_norm", "Boven de norm", _plain),
    ("wachtlijst", "Wachtlijst", _plain),
    ("drie_maanden_eerder", "Drie maanden eerder", _plain),
    ("doel", "Doel", _plain),
    ("ontbrekende_zorgmaanden", "Ontbrekende zorgmaanden", _plain),
    ("gemiddeld_per_maand_cents", "Gemiddeld per maand", _euros),
    ("per_soort", "Per soort", _plain),
    ("periode", "Periode", _plain),
]


@dataclass
class MessageContext:
    """What a builder needs beyond the evaluation: the data, for charts and the why."""

    session: Session
    config: Config
    spec: ForecastSpec


def _state(update: AlertUpdate) -> str:
    if update.after.status == "resolved":
        return "opgelost"
    if update.after.bevestigd:
        return "bevestigd"
    return update.melding or ""


def _state_sentence(update: AlertUpdate) -> str:
    after = update.after
    if after.status == "resolved":
        return f"Opgelost op {after.opgelost_op:%d-%m-%Y}." if after.opgelost_op else "Opgelost."
    since = f"sinds {after.sinds:%d-%m-%Y}" if after.sinds else ""
    if after.bevestigd:
        return (
            f"Speelt {since}; {after.bevestiging or 'besproken'} "
            f"({after.bevestigd_door}, {after.bevestigd_op:%d-%m-%Y})."
        )
    if update.melding == "herhaling":
        return f"Speelt nog, {since}."
    if update.melding == "ernstiger":
        return f"Ernstiger geworden; speelt {since}."
    return "Nieuw deze maand."


def _threshold(observation: Observation) -> str:
    """The threshold, with the rule's own words when it is relative: '84 dagen (> 1,5 × norm)'."""
    inputs = observation.measurement.invoer
    if observation.rule.metric == "kpi" and inputs.get("eenheid") == "euro":
        return f"{_euros(inputs['doel'] * 100)} per cliënt (doel: {inputs['richting']} dan dat)"
    if observation.rule.metric == "kpi":
        return f"{_plain(inputs['doel'])} % (doel: {inputs['richting']} dan dat)"
    value = format_value(observation.rule.metric, observation.drempel)
    if any(reference in observation.voorwaarde for reference in REFERENCES):
        return f"{value} ({observation.voorwaarde})"
    return value


def _fields(update: AlertUpdate) -> list[MessageField]:
    observation = update.observation
    if observation is None:
        return []
    inputs = observation.measurement.invoer
    metric = observation.rule.metric
    value = format_value(metric, observation.measurement.waarde)
    if metric == "kpi" and inputs.get("eenheid") == "euro":
        value = _euros(observation.measurement.waarde * 100) + " per cliënt per jaar"
    fields = [
        MessageField("Waarde", value),
        MessageField("Drempel", _threshold(observation)),
    ]
    if "lo80_cents" in inputs and "hi80_cents" in inputs:
        band = f"{_euros(inputs['lo80_cents'])} – {_euros(inputs['hi80_cents'])}"
        fields.append(MessageField("80 %-interval prognose", band))
    for key, label, show in INPUT_FIELDS:
        value = inputs.get(key)
        if value is not None and value != "":
            fields.append(MessageField(label, show(value)))
    if update.after.id is not None:
        fields.append(MessageField("Nummer", f"#{update.after.id}"))
    correction = inputs.get("correctie")
    if correction:
        fields.append(
            MessageField(
                "Correctie controller",
                f"{correction['reden']} ({correction['door']}, {correction['datum']})",
            )
        )
    return fields


def _why(ctx: MessageContext, evaluation: Evaluation, perceel_id: str) -> list[str]:
    """Growth split into clients, cost per client and the top 10 (ranks only)."""
    perceel = ctx.config.percelen.get(perceel_id)
    if perceel is None or perceel.soort != "zin":
        return []
    year = evaluation.peilmaand.year
    previous, current = year_on_year(
        ctx.session,
        evaluation.gemeente,
        ctx.config.percelen.members(perceel.id),
        year,
        evaluation.as_of,
        high_cost_cents=ctx.config.deployment.hoge_kosten_grens,
    )
    if not previous.kosten_cents or not current.kosten_cents:
        return []
    if min(previous.clienten, current.clienten) < MIN_CLIENTS:
        return []  # with few clients a top-10 share or a high-cost count points at a family
    settings = ctx.config.gemeente(evaluation.gemeente)
    pct = settings.indexatie_pct(year, perceel.id)
    grens = format_euros(ctx.config.deployment.hoge_kosten_grens)
    period = f"{_months_compared(evaluation)} t.o.v. dezelfde maanden vorig jaar"
    return [
        f"Waarom ({period}): {decompose(previous, current, indexatie=pct / 100).zin()}",
        f"Inclusief indexatie: {decompose(previous, current).zin()}",
        f"De 10 duurste cliënten zijn {current.top10_aandeel:.0%} van de kosten; "
        f"{current.boven_grens} cliënt(en) boven € {grens} in die maanden.",
    ]


def _months_compared(evaluation: Evaluation) -> str:
    """The care months `year_on_year` compares: January up to the last month of data."""
    last = through_month(evaluation.as_of, evaluation.peilmaand.year)
    return f"januari t/m {MONTH_NAMES[last - 1]}"


def _chart(ctx: MessageContext, evaluation: Evaluation, perceel_id: str) -> Attachment | None:
    if ctx.config.percelen.get(perceel_id) is None:
        return None
    year = evaluation.peilmaand.year
    path = monthly_prognosis(
        ctx.session, ctx.config, ctx.spec, evaluation.gemeente, perceel_id, year, evaluation.as_of
    )
    begroting = ctx.config.begroting(evaluation.gemeente, year)
    budget = dict(begroting.bedragen).get(perceel_id) if begroting else None
    png = trend_chart(path, budget)
    return Attachment(f"{perceel_id}-{year}.png", "image/png", png, f"{path.naam} {year}")


def _section(
    ctx: MessageContext, evaluation: Evaluation, update: AlertUpdate
) -> tuple[Section, Attachment | None]:
    rule = update.rule
    metric = rule.metric if rule else ""
    perceel = update.after.labels.get("perceel")
    chart = None
    details: list[str] = []
    if rule is not None and perceel and update.after.status == "firing":
        if metric in CHART_METRICS:
            chart = _chart(ctx, evaluation, perceel)
        if metric in WHY_METRICS:
            details = _why(ctx, evaluation, perceel)
    text = " ".join(
        part for part in ((rule.omschrijving if rule else ""), _state_sentence(update)) if part
    )
    section = Section(
        title=update.after.titel or update.after.regel,
        text=text,
        fields=_fields(update) if update.after.status == "firing" else [],
        state=_state(update),  # type: ignore[arg-type]
        severity=update.after.ernst,
        action=rule.actie if rule and update.after.status == "firing" else "",
        chart=chart.name if chart else None,
        details=details,
    )
    return section, chart


METRIC_ORDER = {metric.naam: rank for rank, metric in enumerate(METRICS)}


def _importance(update: AlertUpdate) -> tuple:
    """Most severe first; within a severity the catalogue's order (budget first), then impact."""
    observation = update.observation
    metric = observation.rule.metric if observation else ""
    impact = (observation.measurement.impact_cents or 0.0) if observation else 0.0
    return (
        update.after.status == "resolved",
        SEVERITY_ORDER.get(update.after.ernst or "", 2),
        METRIC_ORDER.get(metric, len(METRIC_ORDER)),
        -impact,
        update.after.titel,
    )


def alert_message(
    ctx: MessageContext, evaluation: Evaluation, kanaal: str, updates: list[AlertUpdate]
) -> Message:
    """The message for one channel: firing alerts (most severe first), then the resolved."""
    ordered = sorted(updates, key=_importance)
    sections, attachments = [], []
    explained: set[str] = set()
    for update in ordered:
        section, chart = _section(ctx, evaluation, update)
        perceel = update.after.labels.get("perceel", "")
        if section.details and perceel in explained:
            section = replace(section, details=[])  # the why once per perceel, not per rule
        if section.details:
            explained.add(perceel)
        sections.append(section)
        if chart is not None and chart.name not in {a.name for a in attachments}:
            attachments.append(chart)
    naam = ctx.config.gemeente(evaluation.gemeente).naam
    firing = sum(1 for u in updates if u.after.status == "firing")
    resolved = len(updates) - firing
    counts = [
        f"{firing} signalering(en)" if firing else "",
        f"{resolved} opgelost" if resolved else "",
    ]
    return Message(
        kind="alerts",
        gemeente=evaluation.gemeente,
        title=f"monitorbot {naam}: {', '.join(c for c in counts if c)} — {_peilmaand(evaluation)}",
        summary=(
            f"Kosten en wachttijden sociaal domein, data tot {evaluation.as_of:%d-%m-%Y}; "
            f"bericht voor {kanaal}. Bedragen in euro's, afgerond."
        ),
        sections=sections,
        attachments=attachments,
        footer=(
            "Details en invoer: monitorbot alerts show --gemeente <code> <nummer>; "
            "stilzetten: monitorbot silence add; bevestigen na bespreking: monitorbot alerts "
            "ack. Geen cliëntgegevens "
            "in dit bericht: de top-10 is alleen als aandeel genoemd."
        ),
    )


def _peilmaand(evaluation: Evaluation) -> str:
    return f"peilmaand {MONTH_NAMES[evaluation.peilmaand.month - 1]} {evaluation.peilmaand.year}"


def alert_messages(ctx: MessageContext, evaluation: Evaluation) -> dict[str, Message]:
    """One message per channel name with something to tell (grouped per evaluation)."""
    return {
        kanaal: alert_message(ctx, evaluation, kanaal, updates)
        for kanaal, updates in sorted(evaluation.by_channel().items())
    }
