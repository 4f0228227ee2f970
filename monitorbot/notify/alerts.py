"""The kernteam message: per alert the numbers, the why, the chart and what to do.

One message per channel per evaluation (Alertmanager's grouping). It reads
like the municipalities' own reports: the number, the comparison, the reason,
the action. A pure function of the evaluation: every figure comes from its
observations and its snapshot (growth figures, the perceel's months for the
chart), never from the database, so the message quotes what the digest, the
workbook and the HTML report show. Aggregates only: ranks, never clients.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

from monitorbot.core.calendar import month_name
from monitorbot.core.clock import shown
from monitorbot.core.money import format_change, format_euros
from monitorbot.core.states import SEVERITY_ORDER, AlertStatus, Melding
from monitorbot.evaluate.catalogue import METRIC_ORDER, REFERENCES, format_value
from monitorbot.evaluate.lifecycle import AlertUpdate, Observation
from monitorbot.evaluate.outcome import Evaluation
from monitorbot.forecast.results import decompose
from monitorbot.notify.message import Attachment, Message, MessageField, Section, Table
from monitorbot.report import texts
from monitorbot.report.chart import trend_chart

CHART_METRICS = {"prognose_afwijking_pct", "prognose", "groei_boven_begroting_pct", "maandkosten"}
WHY_METRICS = CHART_METRICS | {"unieke_clienten_groei_pct", "kosten_per_client_groei_pct"}


def _euros(value: Any) -> str:
    return f"€ {format_euros(round(value))}"


def _percent(value: Any) -> str:
    return format_change(float(value))


def _month(value: Any) -> str:
    return month_name(date.fromisoformat(str(value)[:10]))


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
    (
        "groei_excl_indexatie_pct",
        "Groei excl. indexatie (jaarprognose t.o.v. vorig jaar)",
        _percent,
    ),
    (
        "groei_incl_indexatie_pct",
        "Groei incl. indexatie (jaarprognose t.o.v. vorig jaar)",
        _percent,
    ),
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
    ("ingediend_cents", "Ingediend (beantwoorde declaraties)", _euros),
    ("afgewezen_cents", "Afgewezen", _euros),
    ("antwoorden", "Declaratie-antwoorden", _plain),
    ("retourcodes", "Meest voorkomende retourcodes", _plain),
    ("periode", "Periode", _plain),
]


def _state(update: AlertUpdate) -> str:
    if update.after.status == AlertStatus.RESOLVED:
        return Melding.OPGELOST
    if update.after.bevestigd:
        return "bevestigd"
    return update.melding or ""


def _state_sentence(update: AlertUpdate, tijdzone: str) -> str:
    after = update.after
    if after.status == AlertStatus.RESOLVED:
        if after.opgelost_op is None:
            return "Opgelost."
        return f"Opgelost op {shown(after.opgelost_op, tijdzone)}."
    since = f"sinds {shown(after.sinds, tijdzone)}" if after.sinds else ""
    if after.bevestigd:
        assert after.bevestigd_op is not None
        return (
            f"Speelt {since}; {after.bevestiging or 'besproken'} "
            f"({after.bevestigd_door}, {shown(after.bevestigd_op, tijdzone)})."
        )
    if update.melding == Melding.HERHALING:
        return f"Speelt nog, {since}."
    if update.melding == Melding.ERNSTIGER:
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
    for case in inputs.get("verschillen") or []:
        fields.append(MessageField("Totaalverschil", _mismatch(case)))
    files = inputs.get("bestanden")
    if files:
        fields.append(MessageField("In quarantaine", ", ".join(files)))
    correction = inputs.get("correctie")
    if correction:
        fields.append(
            MessageField(
                "Correctie controller",
                f"{correction['reden']} ({correction['door']}, {correction['datum']})",
            )
        )
    return fields


def _mismatch(case: dict[str, Any]) -> str:
    """One declaration whose total does not add up: which file, both amounts, the difference."""
    who = f" ({case['aanbieder']})" if case.get("aanbieder") else ""
    return (
        f"{case['bestand']}{who}: TotaalIngediendBedrag {_cents2(case['totaal_cents'])}, som "
        f"van de prestaties {_cents2(case['som_cents'])}, verschil "
        f"{_cents2(case['verschil_cents'])}"
    )


def _cents2(cents: Any) -> str:
    return f"€ {format_euros(int(cents), decimals=2)}"


def _why(evaluation: Evaluation, perceel_id: str) -> list[str]:
    """Growth split into clients, cost per client and the top 10 (ranks only).

    From the snapshot's growth figures, which leave out percelen with fewer than
    10 clients in either year (a top-10 share there points at a family).
    """
    groei = evaluation.snapshot.groei_of(perceel_id)
    if groei is None:
        return []
    previous, current = groei.vorig, groei.huidig
    grens = format_euros(evaluation.snapshot.hoge_kosten_grens_cents)
    period = f"{groei.periode} {current.jaar} t.o.v. dezelfde maanden van {previous.jaar}"
    return [
        f"Waarom ({period}): "
        f"{decompose(previous, current, indexatie=groei.indexatie_pct / 100).zin()}",
        f"Inclusief indexatie: {decompose(previous, current).zin()}",
        f"De 10 duurste cliënten zijn {current.top10_aandeel:.0%} van de kosten; "
        f"{current.boven_grens} cliënt(en) boven € {grens} in die maanden.",
    ]


def _basis(evaluation: Evaluation, perceel_id: str) -> list[str]:
    """Early in the year: what the perceel's figure rests on, beside the allocations
    already running for the rest of the year."""
    snapshot = evaluation.snapshot
    row = snapshot.budget_row(perceel_id)
    if row is None:
        return []
    sentence = texts.grondslag(
        row,
        snapshot.begroting.jaar,
        snapshot.begroting.as_of,
        toegewezen_cents=texts.toegewezen_cents(snapshot, row),
    )
    return [sentence] if sentence else []


def _chart(evaluation: Evaluation, perceel_id: str) -> Attachment | None:
    snapshot = evaluation.snapshot
    path = snapshot.months_of(perceel_id)
    if path is None:
        return None
    row = snapshot.budget_row(perceel_id)
    png = trend_chart(path, row.begroting_cents if row else None)
    return Attachment(f"{perceel_id}-{path.jaar}.png", "image/png", png, f"{path.naam} {path.jaar}")


def _section(evaluation: Evaluation, update: AlertUpdate) -> tuple[Section, Attachment | None]:
    rule = update.rule
    metric = rule.metric if rule else ""
    perceel = update.after.labels.get("perceel")
    chart = None
    details: list[str] = []
    firing = update.after.status == AlertStatus.FIRING
    if rule is not None and perceel and firing:
        if metric in CHART_METRICS:
            chart = _chart(evaluation, perceel)
            details = _basis(evaluation, perceel)
        if metric in WHY_METRICS:
            details += _why(evaluation, perceel)
    omschrijving, actie = _wording(update)
    text = " ".join(
        part
        for part in (omschrijving, _state_sentence(update, evaluation.snapshot.tijdzone))
        if part
    )
    section = Section(
        title=update.after.titel or update.after.regel,
        text=text,
        fields=_fields(update) if firing else [],
        state=_state(update),  # type: ignore[arg-type]
        severity=update.after.ernst,
        action=actie if firing else "",
        chart=chart.name if chart else None,
        details=details,
    )
    return section, chart


def _wording(update: AlertUpdate) -> tuple[str, str]:
    """(omschrijving, actie) for the way the value deviates: a rule that may fire both
    ways never calls an underrun an overrun."""
    observation = update.observation
    rule = update.rule
    if observation is not None and observation.kant is not None:
        return observation.omschrijving, observation.actie
    if rule is not None and isinstance(rule.omschrijving, dict):
        # Resolved (nothing holds now): which side it was on is not this message's to guess.
        return "Weer binnen de drempels.", ""
    return rule.tekst() if rule else ("", "")


def _importance(update: AlertUpdate) -> tuple:
    """Most severe first; within a severity the catalogue's order (budget first), then impact."""
    observation = update.observation
    metric = observation.rule.metric if observation else ""
    impact = (observation.measurement.impact_cents or 0.0) if observation else 0.0
    return (
        update.after.status == AlertStatus.RESOLVED,
        SEVERITY_ORDER.get(update.after.ernst or "", 2),
        METRIC_ORDER.get(metric, len(METRIC_ORDER)),
        -impact,
        update.after.titel,
    )


def _provider_groups(updates: list[AlertUpdate]) -> list[list[AlertUpdate]]:
    """Alerts of one rule that differ only by provider form one group (Alertmanager's
    group_by): three providers above their waiting norm are one block, not three."""
    groups: dict[tuple, list[AlertUpdate]] = {}
    for update in updates:
        labels = update.after.labels
        key: tuple = (id(update),)
        if "aanbieder" in labels and update.after.status == AlertStatus.FIRING:
            rest = tuple(sorted((k, v) for k, v in labels.items() if k != "aanbieder"))
            key = (update.after.regel, rest, update.after.ernst, update.melding)
        groups.setdefault(key, []).append(update)
    return list(groups.values())


def _weight(update: AlertUpdate) -> tuple[float, float]:
    """Largest impact first, else the value furthest from zero (the longest wait)."""
    if update.observation is None:
        return (0.0, 0.0)
    measurement = update.observation.measurement
    return (-(measurement.impact_cents or 0.0), -abs(measurement.waarde or 0.0))


def _group_section(evaluation: Evaluation, group: list[AlertUpdate]) -> Section:
    """One block for a rule's providers: what the rule says, then a row per provider."""
    first = group[0]
    rule = first.rule
    metric = rule.metric if rule else ""
    rows = []
    worst_first = sorted(group, key=_weight)
    for update in worst_first:
        observation = update.observation
        assert observation is not None
        rows.append(
            [
                update.after.titel,
                format_value(metric, observation.measurement.waarde),
                _threshold(observation),
                f"#{update.after.id}" if update.after.id is not None else "",
            ]
        )
    omschrijving, actie = _wording(first)
    return Section(
        title=f"{omschrijving.rstrip('.') or first.after.regel} ({len(group)} aanbieders)",
        text=_state_sentence(first, evaluation.snapshot.tijdzone),
        table=Table(["aanbieder", "waarde", "drempel", "nummer"], rows, ["l", "r", "r", "r"]),
        state=_state(first),  # type: ignore[arg-type]
        severity=first.after.ernst,
        action=actie,
    )


def alert_message(evaluation: Evaluation, kanaal: str, updates: list[AlertUpdate]) -> Message:
    """The message for one channel: firing alerts (most severe first), then the resolved."""
    ordered = sorted(updates, key=_importance)
    sections, attachments = [], []
    explained: set[str] = set()
    for group in _provider_groups(ordered):
        if len(group) > 1:
            sections.append(_group_section(evaluation, group))
            continue
        update = group[0]
        section, chart = _section(evaluation, update)
        perceel = update.after.labels.get("perceel", "")
        if section.details and perceel in explained:
            section = replace(section, details=[])  # the why once per perceel, not per rule
        if section.details:
            explained.add(perceel)
        sections.append(section)
        if chart is not None and chart.name not in {a.name for a in attachments}:
            attachments.append(chart)
    naam = evaluation.snapshot.gemeente_naam
    firing = sum(1 for u in updates if u.after.status == AlertStatus.FIRING)
    resolved = len(updates) - firing
    counts = [
        f"{firing} signalering(en)" if firing else "",
        f"{resolved} opgelost" if resolved else "",
    ]
    return Message(
        kind="alerts",
        gemeente=evaluation.gemeente,
        title=(
            f"monitorbot {naam}: {', '.join(c for c in counts if c)} — {evaluation.peildatum.label}"
        ),
        summary=(
            f"Kosten en wachttijden sociaal domein, {evaluation.peildatum.label}; "
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


def alert_messages(evaluation: Evaluation) -> dict[str, Message]:
    """One message per channel name with something to tell (grouped per evaluation)."""
    return {
        kanaal: alert_message(evaluation, kanaal, updates)
        for kanaal, updates in sorted(evaluation.by_channel().items())
    }
