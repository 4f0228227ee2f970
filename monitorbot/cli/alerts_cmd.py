"""Alert rules for controllers: check, replay on history, evaluate, silence, acknowledge."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from monitorbot.cli.options import (
    AsOfOption,
    GemeenteOption,
    NowOption,
    OptionalGemeenteOption,
    month_of,
    peildatum_of,
    use_now,
)
from monitorbot.cli.runtime import (
    EXIT_REJECTED,
    EXIT_USAGE,
    console,
    err_console,
    print_delivery,
    progress_bar,
    runtime_of,
)
from monitorbot.core.calendar import month_name
from monitorbot.core.money import format_change
from monitorbot.core.states import AlertStatus, Ernst, Labeled, Melding

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from monitorbot.app import App
    from monitorbot.evaluate.engine import Evaluation, ReplayMonth
    from monitorbot.evaluate.lifecycle import AlertUpdate
    from monitorbot.forecast.spec import ForecastSpec

# The rules engine, the forecasts, the database and the chat clients are imported
# inside the commands that use them: the command line starts without them
# (tests/test_cli_startup.py).

rules_app = typer.Typer(help="Signaleringsregels controleren en testen.", no_args_is_help=True)
silence_app = typer.Typer(help="Meldingen tijdelijk stilzetten.", no_args_is_help=True)
alerts_app = typer.Typer(help="Signaleringen bekijken en bevestigen.", no_args_is_help=True)

# --------------------------------------------------------------------------- rules


@rules_app.command("check")
def check(
    ctx: typer.Context,
    files: Annotated[
        list[Path] | None, typer.Argument(help="Regelbestanden (standaard alerts/).")
    ] = None,
) -> None:
    """Controleer regelbestanden: metric, scope, eenheid, referentie en kanaal."""
    runtime = runtime_of(ctx)
    rules = runtime.rules(files)
    console.print(f"{len(rules.rules)} regels in {len(rules.files)} bestand(en) in orde:")
    for entry in rules.placed:
        rule = entry.rule
        thresholds = ", ".join(f"{e} {c.tekst}" for e, c in rule.drempels.items())
        voor = f" (alleen {', '.join(sorted(entry.gemeenten))})" if entry.gemeenten else ""
        console.print(
            f"  {rule.naam}{voor}: {rule.metric} per {rule.scope}; {thresholds} → {rule.kanaal}",
            markup=False,
        )


@rules_app.command("metrics")
def metrics() -> None:
    """Alle metrics die een regel kan gebruiken, met betekenis, eenheid en bron."""
    from monitorbot.evaluate.catalogue import METRICS

    for metric in METRICS:
        refs = f"; referenties: {', '.join(metric.referenties)}" if metric.referenties else ""
        console.print(
            f"\n[bold]{metric.naam}[/] ({metric.eenheid}; scope: {', '.join(metric.scopes)}{refs})"
        )
        console.print(f"  {metric.betekenis}", markup=False)
        console.print(f"  probleemkant: {metric.slecht} ({metric.slecht_uitleg})", markup=False)
        console.print(f"  bron: {metric.bron}", markup=False)


@rules_app.command("test")
def test(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Regelbestand (of map) om te testen.")],
    gemeente: GemeenteOption,
    start: Annotated[str, typer.Option("--from", help="Eerste peilmaand JJJJ-MM.")],
    end: Annotated[str, typer.Option("--to", help="Laatste peilmaand JJJJ-MM.")],
    nu: NowOption = None,
) -> None:
    """Herhaal de regels maand voor maand op de data van toen: wat was er gemeld?"""
    from monitorbot.core.calendar import shift_months
    from monitorbot.evaluate.engine import replay
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    rules = runtime.rules([file])
    spec = runtime.forecast_spec()
    today = use_now(runtime, nu).date()
    first, last = month_of(start, "--from"), month_of(end, "--to")
    if last < first:
        err_console.print("--to ligt voor --from")
        raise typer.Exit(EXIT_USAGE)
    months = []
    while first <= last:
        months.append(first)
        first = shift_months(first, 1)
    console.print(
        f"Herhaling van {len(rules.voor(gemeente))} regels voor {runtime.gemeente(gemeente).naam} "
        f"({gemeente}), peilmaanden {months[0]:%Y-%m} t/m {months[-1]:%Y-%m}; elke maand "
        "geëvalueerd met wat aan het eind van die maand bekend was (stiltes en bevestigingen "
        "tellen niet mee)."
    )
    with (
        db.transaction(runtime.engine()) as session,
        progress_bar("maanden", len(months), "maand") as advance,
    ):
        replays = replay(
            session,
            runtime.config,
            spec,
            rules,
            gemeente,
            months,
            on_month=lambda entry: (_print_month(entry), advance()),
        )
        _print_totals(replays)
        _print_lead_times(session, runtime, spec, gemeente, replays, today)
        session.rollback()


def _line(update: AlertUpdate) -> str:
    """One alert on one line: severity, rule, subject, value and what it was compared with."""
    from monitorbot.evaluate.catalogue import REFERENCES, format_value

    observation = update.observation
    ernst = f"[{update.after.ernst or update.before.ernst}]"
    text = f"{ernst} {update.after.regel} — {update.after.titel}"
    if observation is None:
        return text + " (geen gegevens meer)"
    if observation.measurement.waarde is not None:
        metric = observation.rule.metric
        text += f": {format_value(metric, observation.measurement.waarde)}"
        threshold = format_value(metric, observation.drempel)
        if observation.rule.minimale_impact and observation.impact_te_klein:
            impact = format_value("prognose", observation.measurement.impact_cents or 0)
            text += (
                f" ({observation.voorwaarde} klopt, maar impact {impact} is kleiner dan "
                f"minimale_impact {observation.rule.minimale_impact.tekst.lstrip('>= ')})"
            )
        elif any(ref in observation.voorwaarde for ref in REFERENCES):
            text += f" (voorwaarde {observation.voorwaarde}: {threshold})"
        elif observation.drempel is not None:
            text += f" (drempel {threshold})"
    return text


def _print_month(entry: ReplayMonth) -> None:
    evaluation = entry.evaluation
    told = [u for u in evaluation.step.updates if u.melding]
    firing = len(evaluation.firing)
    console.print(
        f"\n[bold]{evaluation.cyclus:%Y-%m}[/] ({evaluation.peildatum.label}): {firing} actief"
    )
    labels = {
        "nieuw": "nieuw",
        "ernstiger": "ernstiger",
        "herhaling": "herhaald",
        "opgelost": "opgelost",
    }
    for update in sorted(
        told, key=lambda u: (list(labels).index(u.melding or "nieuw"), u.after.regel)
    ):
        suffix = f" (niet verstuurd: {update.onderdrukt})" if update.onderdrukt else ""
        console.print(
            f"  {labels[update.melding or 'nieuw']:<9} {_line(update)}{suffix}", markup=False
        )
    for problem in evaluation.problems:
        console.print(f"  let op: {problem}", markup=False)


def _print_totals(replays: list[ReplayMonth]) -> None:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for entry in replays:
        for update in entry.evaluation.step.updates:
            if update.melding:
                counts[update.after.regel][update.melding] += 1
    console.print("\nPer regel (nieuw / ernstiger / herhaald / opgelost):")
    if not counts:
        console.print("  geen meldingen in deze periode")
    for regel, kinds in sorted(counts.items()):
        console.print(
            f"  {regel:<40} {kinds['nieuw']:>3} / {kinds['ernstiger']:>3} / "
            f"{kinds['herhaling']:>3} / {kinds['opgelost']:>3}",
            markup=False,
        )


def _print_lead_times(
    session: Session,
    runtime: App,
    spec: ForecastSpec,
    gemeente: str,
    replays: list[ReplayMonth],
    today: date,
) -> None:
    """For budget rules: how many months before the year end the first alert came."""
    from monitorbot.evaluate.catalogue import format_value
    from monitorbot.evaluate.trial import MATERIAL_OVERRUN_CENTS, basis, material_overruns

    steps = [(entry.evaluation.cyclus, entry.evaluation.step) for entry in replays]
    known = {
        entry.peildatum.jaar: (entry.peildatum, entry.evaluation.snapshot.begroting)
        for entry in replays
    }  # each year's last replayed month: the figure its snapshot shows
    overruns = material_overruns(session, runtime.config, spec, gemeente, {"": steps}, known, today)
    start = replays[0].evaluation.cyclus
    console.print(
        "\nBegrotingsregels: hoe vroeg kwam de eerste melding? (overschrijdingen vanaf "
        f"{format_value('prognose', MATERIAL_OVERRUN_CENTS)})"
    )
    for overrun in overruns:
        head = (
            f"  {overrun.jaar} {overrun.naam}: {overrun.soort} "
            f"{format_value('prognose', overrun.overschrijding_cents)} boven begroting; "
        )
        first = overrun.eerste[""]
        if first is None:
            console.print(head + "geen melding", markup=False)
            continue
        month = first.peilmaand
        note = " (de eerste maand van deze herhaling: het kan eerder)" if month == start else ""
        console.print(
            head + f"eerste melding ({first.regel}) bij peilmaand {month:%Y-%m}, "
            f"{overrun.lead_months('')} maand(en) voor het jaareinde{note}; {basis(first.invoer)}",
            markup=False,
        )


# --------------------------------------------------------------------------- evaluate


def evaluate_command(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    as_of: AsOfOption = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Laat zien wat er verstuurd zou worden; verander niets."),
    ] = False,
    nu: NowOption = None,
) -> None:
    """Evalueer de regels nu: status bijwerken, berichten per kanaal klaarzetten en versturen.

    Met --as-of in het verleden (alleen met --dry-run): hoe de regels er toen voor stonden,
    herhaald vanaf drie maanden ervoor; de opgeslagen meldingen blijven zoals ze zijn.
    """
    from monitorbot.app import Refused
    from monitorbot.core.calendar import shift_months
    from monitorbot.evaluate.engine import evaluate, in_the_past, replay
    from monitorbot.notify.alerts import alert_messages
    from monitorbot.notify.render import to_text
    from monitorbot.service.cycle import evaluate_and_notify
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    now = use_now(runtime, nu)
    rules = runtime.rules()
    spec = runtime.forecast_spec()
    peildatum = peildatum_of(runtime, as_of) if as_of else None
    past = peildatum is not None and in_the_past(peildatum, now, runtime.config)
    if past and not dry_run:
        raise Refused(
            f"--as-of {as_of}: over die maand is al een maandcyclus geweest; een evaluatie "
            "van toen verandert de meldingen van nu niet. Gebruik --dry-run (of "
            "`monitorbot rules test`)."
        )
    engine = runtime.engine()
    if dry_run:
        with db.transaction(engine) as session:
            if past:
                assert peildatum is not None
                months = [shift_months(peildatum.peilmaand, k) for k in (-2, -1, 0)]
                replays = replay(session, runtime.config, spec, rules, gemeente, months)
                evaluation = replays[-1].evaluation
            else:
                evaluation = evaluate(
                    session,
                    runtime.config,
                    spec,
                    rules,
                    gemeente,
                    now=now,
                    peildatum=peildatum,
                    dry_run=True,
                )
            print_evaluation(evaluation, dry_run=True)
            for kanaal, message in alert_messages(evaluation).items():
                console.rule(f"bericht voor {kanaal} (niet verstuurd)")
                console.print(to_text(message), markup=False)
            session.rollback()
        return
    result = evaluate_and_notify(
        engine,
        runtime.config,
        runtime.settings,
        spec,
        rules,
        gemeente,
        now=now,
        peildatum=peildatum,
        clock=runtime.clock,
    )
    print_evaluation(result.evaluation, dry_run=False)
    print_delivery(result.queued, result.delivery)
    if result.evaluation.problems or not result.delivery.ok:
        raise typer.Exit(EXIT_REJECTED)


def digest_command(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    as_of: AsOfOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Toon de digest; verstuur niets.")
    ] = False,
    nu: NowOption = None,
) -> None:
    """De digest voor managers: de tabel, drie hoogtepunten, open signaleringen, datakwaliteit."""
    from monitorbot.evaluate.engine import report_snapshot
    from monitorbot.notify.digest import digest_message
    from monitorbot.notify.render import to_text
    from monitorbot.service.cycle import send_digest
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    now = use_now(runtime, nu)
    spec = runtime.forecast_spec()
    peildatum = peildatum_of(runtime, as_of)
    engine = runtime.engine()
    if dry_run:
        with db.transaction(engine) as session:
            snapshot = report_snapshot(session, runtime.config, spec, gemeente, peildatum, now=now)
        console.print(to_text(digest_message(snapshot, with_workbook=False)), markup=False)
        return
    queued, report = send_digest(
        engine,
        runtime.config,
        runtime.settings,
        spec,
        gemeente,
        now=now,
        peildatum=peildatum,
        clock=runtime.clock,
    )
    print_delivery(queued, report)
    if not report.ok:
        raise typer.Exit(EXIT_REJECTED)


def print_evaluation(evaluation: Evaluation, *, dry_run: bool) -> None:
    console.print(
        f"Evaluatie {evaluation.gemeente}, {evaluation.peildatum.label} "
        f"(maandcyclus {evaluation.cyclus:%Y-%m})"
        f"{' — proefrun, niets opgeslagen' if dry_run else ''}"
    )
    active = sorted(evaluation.firing, key=lambda u: (u.after.ernst != "kritiek", u.after.regel))
    console.print(f"{len(active)} actieve signalering(en):")
    for update in active:
        since = f" sinds {update.after.sinds:%d-%m-%Y}" if update.after.sinds else ""
        acked = f"; bevestigd door {update.after.bevestigd_door}" if update.after.bevestigd else ""
        console.print(f"  {_line(update)}{since}{acked}", markup=False)
    groups = evaluation.by_channel()
    verb = "Zou versturen" if dry_run else "Te versturen"
    if not groups:
        console.print("Niets nieuws te melden.")
    for channel, updates in sorted(groups.items()):
        console.print(f"{verb} naar kanaal {channel}: {len(updates)} melding(en)")
        for update in updates:
            console.print(f"  {update.melding:<9} {_line(update)}", markup=False)
    quiet = [u for u in evaluation.step.updates if u.melding and u.onderdrukt]
    for update in quiet:
        console.print(f"  niet verstuurd ({update.onderdrukt}): {_line(update)}", markup=False)
    for problem in evaluation.problems:
        err_console.print(f"let op: {problem}", markup=False)


# --------------------------------------------------------------------------- silences


def _duration(text: str) -> timedelta:
    match = re.fullmatch(r"([0-9]+)\s*(d|dagen|w|weken|h|uur)", text.strip())
    if not match:
        err_console.print(f"--duur {text!r}: gebruik bv. '14d', '2w' of '12h'")
        raise typer.Exit(EXIT_USAGE)
    amount, unit = int(match.group(1)), match.group(2)
    return (
        timedelta(days=amount)
        if unit in ("d", "dagen")
        else timedelta(weeks=amount)
        if unit in ("w", "weken")
        else timedelta(hours=amount)
    )


@silence_app.command("add")
def silence_add(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    matcher: Annotated[
        list[str],
        typer.Option(
            "--matcher",
            "-m",
            help="label=waarde, bv. regel=wachttijd-boven-norm of aanbieder=98990102.",
        ),
    ],
    door: Annotated[str, typer.Option("--door", help="Wie de stilte instelt.")],
    reden: Annotated[str, typer.Option("--reden", help="Waarom.")],
    duur: Annotated[str, typer.Option("--duur", help="Hoe lang, bv. 14d, 2w.")] = "14d",
    nu: NowOption = None,
) -> None:
    """Zet meldingen die op alle matchers passen stil tot een vervaldatum."""
    from monitorbot.store import db
    from monitorbot.store.queries import silences

    runtime = runtime_of(ctx)
    matchers = {}
    for item in matcher:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            err_console.print(f"--matcher {item!r}: gebruik label=waarde")
            raise typer.Exit(EXIT_USAGE)
        matchers[key.strip()] = value.strip()
    now = use_now(runtime, nu)
    until = now + _duration(duur)
    with db.transaction(runtime.engine()) as session:
        silence_id = silences.add(session, gemeente, matchers, door, reden, now, until)
    console.print(
        f"Stilte #{silence_id} tot {_when(runtime, until)}: {_labels(matchers)}", markup=False
    )


@silence_app.command("list")
def silence_list(ctx: typer.Context, gemeente: GemeenteOption, nu: NowOption = None) -> None:
    """Toon actieve en verlopen stiltes."""
    from monitorbot.evaluate.engine import load_silences
    from monitorbot.store import db

    runtime = runtime_of(ctx)
    now = use_now(runtime, nu)
    with db.transaction(runtime.engine()) as session:
        silences = sorted(load_silences(session, gemeente), key=lambda silence: silence.id)
    if not silences:
        console.print("Geen stiltes.")
    for silence in silences:
        state = (
            "actief" if silence.active(now) else "beëindigd" if silence.beeindigd_op else "verlopen"
        )
        console.print(
            f"#{silence.id} {state}: {_labels(silence.matchers)} door {silence.door} "
            f"tot {_when(runtime, silence.tot)} — {silence.reden}",
            markup=False,
        )


@silence_app.command("expire")
def silence_expire(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    silence_id: Annotated[int, typer.Argument(help="Nummer van de stilte.")],
    door: Annotated[str, typer.Option("--door", help="Wie de stilte beëindigt.")] = "opdrachtregel",
    nu: NowOption = None,
) -> None:
    """Beëindig een stilte nu."""
    from monitorbot.store import db
    from monitorbot.store.queries import silences

    runtime = runtime_of(ctx)
    with db.transaction(runtime.engine()) as session:
        refused = silences.end(session, gemeente, silence_id, use_now(runtime, nu), door)
        if refused:
            err_console.print(refused, markup=False)
            raise typer.Exit(EXIT_USAGE)
    console.print(f"Stilte #{silence_id} beëindigd.")


# --------------------------------------------------------------------------- alerts


class StatusKeuze(StrEnum):
    """`alerts list --status`, in the words people see."""

    actief = "actief"
    in_afwachting = "in-afwachting"
    opgelost = "opgelost"


STATUS_VAN_KEUZE = {
    StatusKeuze.actief: "firing",
    StatusKeuze.in_afwachting: "pending",
    StatusKeuze.opgelost: "resolved",
}


@alerts_app.command("list")
def alerts_list(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    status: Annotated[
        StatusKeuze | None, typer.Option(help="Alleen deze status (standaard: alle lopende).")
    ] = None,
) -> None:
    """Signaleringen met hun status, ernst en sinds wanneer."""
    from sqlalchemy import select

    from monitorbot.store import db, models

    runtime = runtime_of(ctx)
    with db.transaction(runtime.engine()) as session:
        query = select(models.AlertState).where(models.AlertState.gemeente_code == gemeente)
        query = (
            query.where(models.AlertState.status == STATUS_VAN_KEUZE[status])
            if status
            else query.where(models.AlertState.status != AlertStatus.INACTIEF)
        )
        rows = session.scalars(query.order_by(models.AlertState.id)).all()
        for row in rows:
            acked = f"; bevestigd door {row.bevestigd_door}" if row.bevestigd_op else ""
            console.print(
                f"#{row.id} {AlertStatus.label_of(row.status):<13} "
                f"{Ernst.label_of(row.ernst):<12} {row.regel} — {row.titel or ''} "
                f"(sinds {_when(runtime, row.sinds, time=False)}){acked}",
                markup=False,
            )
    if not rows:
        console.print("Geen signaleringen.")


@alerts_app.command("show")
def alerts_show(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    alert_id: Annotated[int, typer.Argument(help="Nummer van de signalering.")],
) -> None:
    """Waarom ging dit af? De laatste evaluaties met hun invoer, in gewone woorden."""
    from sqlalchemy import select

    from monitorbot.evaluate.catalogue import format_value
    from monitorbot.store import db, models

    runtime = runtime_of(ctx)
    with db.transaction(runtime.engine()) as session:
        row = session.get(models.AlertState, alert_id)
        if row is None or row.gemeente_code != gemeente:
            err_console.print(f"Signalering #{alert_id} bestaat niet voor gemeente {gemeente}")
            raise typer.Exit(EXIT_USAGE)
        console.print(f"Signalering #{row.id}: {row.titel or row.regel}", markup=False)
        console.print(f"  regel: {row.regel}", markup=False)
        if row.labels:
            console.print(f"  over: {_labels(row.labels)}", markup=False)
        console.print(
            f"  status: {AlertStatus.label_of(row.status)}, ernst: "
            f"{Ernst.label_of(row.ernst) or 'geen'}, sinds {_when(runtime, row.sinds, time=False)}",
            markup=False,
        )
        if row.bevestigd_op:
            console.print(
                f"  bevestigd door {row.bevestigd_door} op "
                f"{_when(runtime, row.bevestigd_op, time=False)}: {row.bevestiging}",
                markup=False,
            )
        evaluations = session.scalars(
            select(models.AlertEvaluatie)
            .where(models.AlertEvaluatie.alert_id == alert_id)
            .order_by(models.AlertEvaluatie.id.desc())
            .limit(6)
        ).all()
        for evaluation in evaluations:
            inputs = dict(evaluation.invoer)
            metric = inputs.get("metric", "")
            verdict = "drempel overschreden" if evaluation.voldaan else "binnen de drempel"
            console.print(
                f"\n  Evaluatie van {_when(runtime, evaluation.geevalueerd_op)} "
                f"(peilmaand {month_name(evaluation.peilmaand)}): "
                f"waarde {format_value(metric, evaluation.waarde)}, drempel "
                f"{format_value(metric, inputs.get('drempel'))}: {verdict}",
                markup=False,
            )
            for key, value in inputs.items():
                if key in HIDDEN_INPUTS or value in (None, "", [], {}):
                    continue
                console.print(
                    f"    {_input_name(key)}: {_input_text(key, value, metric)}", markup=False
                )


@alerts_app.command("ack")
def alerts_ack(
    ctx: typer.Context,
    gemeente: GemeenteOption,
    alert_id: Annotated[int, typer.Argument(help="Nummer van de signalering.")],
    door: Annotated[str, typer.Option("--door", help="Wie bevestigt.")],
    notitie: Annotated[
        str, typer.Option("--notitie", help="Bv. 'besproken in kernteam 12-11'.")
    ] = "besproken in kernteam",
    nu: NowOption = None,
) -> None:
    """Bevestig een signalering: blijft zichtbaar in de digest, maar wordt niet herhaald."""
    from monitorbot.store import db
    from monitorbot.store.queries.alerts import acknowledge

    runtime = runtime_of(ctx)
    _no_bsn(door, "--door")
    _no_bsn(notitie, "--notitie")
    with db.transaction(runtime.engine()) as session:
        refused = acknowledge(session, gemeente, alert_id, door, notitie, use_now(runtime, nu))
        if refused:
            err_console.print(refused, markup=False)
            raise typer.Exit(EXIT_USAGE)
    console.print(f"Signalering #{alert_id} bevestigd door {door}: {notitie}", markup=False)


#: Inputs `alerts show` leaves out: shown in its first lines already.
HIDDEN_INPUTS = {"metric", "drempel", "titel", "peildatum"}
#: Stored input keys in the words a controller uses.
INPUT_NAMES = {
    "omschrijving": "omschrijving",
    "scope": "niveau",
    "drempels": "drempels",
    "minimale_impact": "minimale impact",
    "ernst": "ernst",
    "referenties": "vergeleken met",
    "impact_cents": "bedrag dat op het spel staat",
    "impact_te_klein": "bedrag te klein om te melden",
    "cyclus": "maandcyclus",
}


#: Inputs that hold a stored state: shown by their Dutch label.
STATE_INPUTS: dict[str, type[Labeled]] = {
    "ernst": Ernst,
    "status_voor": AlertStatus,
    "status_na": AlertStatus,
    "melding": Melding,
}


def _input_name(key: str) -> str:
    """`impact_cents` → 'bedrag dat op het spel staat'; otherwise the key in plain words."""
    if key in INPUT_NAMES:
        return INPUT_NAMES[key]
    return key.removesuffix("_cents").removesuffix("_pct").replace("_", " ")


def _input_text(key: str, value: Any, metric: str) -> str:
    """A stored input as a controller reads it: euros, percentages, Dutch decimals, words."""
    from monitorbot.evaluate.catalogue import format_value

    if isinstance(value, bool):
        return "ja" if value else "nee"
    if isinstance(value, str) and key in STATE_INPUTS:
        return STATE_INPUTS[key].label_of(value)
    if key.endswith("_cents") and isinstance(value, (int, float)):
        return format_value("prognose", value)
    if key == "referenties" and isinstance(value, dict):
        shown = {
            k: format_value(metric, v) if k != "kpi_richting" else v
            for k, v in value.items()
            if v is not None
        }
        return ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in shown.items()) or "-"
    if key.endswith("_pct") and isinstance(value, (int, float)):
        return format_change(value)
    if isinstance(value, dict):
        return "; ".join(
            f"{_input_name(str(k))}: {_input_text(str(k), v, metric)}" for k, v in value.items()
        )
    if isinstance(value, list):
        return ", ".join(_input_text(key, v, metric) for v in value)
    if isinstance(value, float):
        return f"{value:.1f}".replace(".", ",")
    return str(value)


def _labels(labels: dict[str, str]) -> str:
    """`{'perceel': 'jeugd-zin'}` → 'perceel jeugd-zin' (no Python dict on screen)."""
    return ", ".join(f"{key} {value}" for key, value in labels.items()) or "alles"


def _when(runtime: App, moment: datetime | None, *, time: bool = True) -> str:
    """A stored moment in the deployment's time zone, as every command shows it."""
    from monitorbot.core.clock import shown

    if moment is None:
        return "-"
    return shown(moment, runtime.config.deployment.tijdzone, time=time)


def _no_bsn(text: str, option: str) -> None:
    """Free text goes into chat messages: refuse anything that looks like a BSN."""
    from monitorbot.core.privacy import looks_like_bsn

    if looks_like_bsn(text):
        err_console.print(
            f"{option} bevat een nummer dat een BSN kan zijn; laat cliëntgegevens weg "
            "(deze tekst komt in berichten aan het kernteam)"
        )
        raise typer.Exit(EXIT_USAGE)


def deliver_command(
    ctx: typer.Context,
    gemeente: OptionalGemeenteOption = None,
    nu: NowOption = None,
) -> None:
    """Verstuur wat in de outbox klaarstaat (nieuwe pogingen na tijdelijke fouten)."""
    from monitorbot.notify.outbox import deliver

    runtime = runtime_of(ctx)
    use_now(runtime, nu)
    report = deliver(
        runtime.engine(), runtime.config, runtime.settings, clock=runtime.clock, gemeente=gemeente
    )
    waiting = len(report.verzonden) + len(report.uitgesteld) + len(report.permanent)
    print_delivery(waiting, report, verb="aan de beurt")
    if not report.ok:
        raise typer.Exit(EXIT_REJECTED)
