"""`monitorbot demo`: the main job end to end on the fictional municipality Demodorp.

`monitorbot demo generate` only writes the demo data; `monitorbot demo` runs every
stage that exists on it, against the embedded SQLite database by default.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from time import perf_counter
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer

from monitorbot.app import App

if TYPE_CHECKING:
    from monitorbot.core.calendar import Peildatum
    from monitorbot.evaluate.snapshot import Snapshot
from monitorbot.cli.runtime import (
    EXIT_REJECTED,
    EXIT_USAGE,
    console,
    err_console,
    print_delivery,
    runtime_of,
)
from monitorbot.demo.catalog import DEMO_GEMEENTE
from monitorbot.demo.scenarios import SCENARIOS

# Every stage runs in the demo; each is imported where it runs, so that
# `monitorbot --help` does not pay for them (tests/test_cli_startup.py).

#: The generated folders that hold input (the manifest beside them is not input).
DEMO_INPUT_FOLDERS = ("berichten", "exports", "pgb")
#: Marks a budget file the demo wrote (it never touches one a person wrote).
GENERATED = "# Gegenereerd door `monitorbot demo`: de primitieve begroting van "

app = typer.Typer(
    help="De demogemeente Demodorp: genereren en de hele keten draaien.",
    invoke_without_command=True,
)

ScenarioOption = Annotated[
    str, typer.Option("--scenario", help=f"Scenario: {', '.join(SCENARIOS)}.")
]
SeedOption = Annotated[int, typer.Option("--seed", help="Seed; dezelfde seed geeft dezelfde data.")]
VandaagOption = Annotated[
    str | None,
    typer.Option(
        "--vandaag",
        help="De dag waarop de demo speelt (JJJJ-MM-DD); standaard vandaag. De data lopen tot "
        "en met de laatste hele maand ervoor; dezelfde dag geeft dezelfde data.",
        show_default=False,
    ),
]


def _vandaag(runtime: App, text: str | None) -> date:
    from zoneinfo import ZoneInfo

    from monitorbot.cli.options import day_of

    if text is not None:
        return day_of(text, "--vandaag")
    return runtime.clock().astimezone(ZoneInfo(runtime.config.deployment.tijdzone)).date()


def _print_counts(counts: dict) -> None:
    """The manifest's counts, one line each ("berichten: JW301 1420, JW305 ...")."""
    for key, value in counts.items():
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        console.print(f"  {key.replace('_', ' ')}: {value}")


def _check_scenario(scenario: str) -> None:
    if scenario not in SCENARIOS:
        err_console.print(f"Onbekend scenario {scenario!r}; kies uit: {', '.join(SCENARIOS)}")
        raise typer.Exit(EXIT_USAGE)


@app.command("generate")
def generate(
    out: Annotated[Path, typer.Option("--out", help="Map waarin de demodata komen.")],
    ctx: typer.Context,
    seed: SeedOption = 2026,
    scenario: ScenarioOption = "standaard",
    vandaag: VandaagOption = None,
    lid: Annotated[
        str | None,
        typer.Option(
            "--lid",
            help="Eén gemeente van de demoregio (CBS-code, bv. 9996) in plaats van Demodorp.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Genereer de demogemeente: berichten (301/305/307/315/323), exports en PGB-totalen."""
    from monitorbot.demo.generate import generate_demo
    from monitorbot.demo.regio import DEMODORP, LEDEN

    _check_scenario(scenario)
    profile = DEMODORP
    if lid is not None:
        profile = next((m for m in LEDEN if m.code == lid), None)  # type: ignore[assignment]
        if profile is None:
            codes = ", ".join(m.code for m in LEDEN)
            err_console.print(f"--lid {lid!r} is geen gemeente van de demoregio; kies uit {codes}")
            raise typer.Exit(EXIT_USAGE)
        if scenario != "standaard":
            err_console.print(
                "--lid speelt in het eigen scenario van die gemeente; laat --scenario weg."
            )
            raise typer.Exit(EXIT_USAGE)
        scenario = profile.scenario
    day = _vandaag(runtime_of(ctx), vandaag)
    started = perf_counter()
    manifest = generate_demo(out, seed=seed, scenario=scenario, vandaag=day, lid=profile)
    console.print(
        f"Demodata {profile.naam} ({scenario}, seed {seed}) geschreven naar {out} "
        f"in {perf_counter() - started:.1f} s:"
    )
    _print_counts(manifest.to_dict().get("counts", {}))


@app.callback()
def demo(
    ctx: typer.Context,
    seed: SeedOption = 2026,
    scenario: ScenarioOption = "standaard",
    vandaag: VandaagOption = None,
    regio: Annotated[
        bool,
        typer.Option(
            "--regio",
            help="De demoregio: Demodorp en zes buurgemeenten (10.000 tot 90.000 inwoners) "
            "met gedeelde aanbieders, naast elkaar en opgeteld. Duurt enkele minuten.",
        ),
    ] = False,
) -> None:
    """Draai de hele keten op de demogemeente (SQLite tenzij MONITORBOT_DATABASE_URL).

    De demo speelt op vandaag: wat je daarna typt (report budget, alerts list, ...)
    toont dezelfde cijfers als de demo.
    """
    if ctx.invoked_subcommand is not None:
        return
    _check_scenario(scenario)
    runtime = runtime_of(ctx)
    day = _vandaag(runtime, vandaag)
    if regio:
        if scenario != "standaard":
            err_console.print("--regio speelt elk lid in zijn eigen scenario; laat --scenario weg.")
            raise typer.Exit(EXIT_USAGE)
        run_regio_demo(runtime, seed=seed, vandaag=day)
        return
    run_demo(runtime, seed=seed, scenario=scenario, vandaag=day)


def _demo_input(runtime: App, seed: int, scenario: str, vandaag: date) -> tuple[Path, dict]:
    """Generate the demo input once per seed, scenario and day; a second run reuses it.

    The demo's clients follow from the seed and the period's first year: a later
    day of the same year only adds files, so the same database takes them. A
    database filled for another period would mix two Demodorps: refused.
    """
    folder = runtime.data_dir / "demo" / f"{scenario}-{seed}-{vandaag.isoformat()}"
    manifest = _generated(folder, seed, scenario, vandaag, None)
    _same_period(runtime, seed, scenario, manifest)
    return folder, manifest


def _generated(folder: Path, seed: int, scenario: str, vandaag: date, lid: str | None) -> dict:
    """The manifest of the input in `folder`, generated first where it is not there yet;
    `lid` is a member of the demo region (None: Demodorp as the single demo has it)."""
    from monitorbot.demo.generate import generate_demo
    from monitorbot.demo.regio import DEMODORP
    from monitorbot.demo.regio import lid as member

    manifest_file = folder / "manifest.json"
    if manifest_file.exists():
        return json.loads(manifest_file.read_text(encoding="utf-8"))
    profile = DEMODORP if lid is None else member(lid)
    return generate_demo(
        folder, seed=seed, scenario=scenario, vandaag=vandaag, lid=profile
    ).to_dict()


def _same_period(runtime: App, seed: int, scenario: str, manifest: dict) -> None:
    from monitorbot.app import Refused

    marker = runtime.data_dir / "demo" / "periode.txt"
    period = f"{scenario} {seed} vanaf {manifest['period'][0]}"
    if marker.exists() and marker.read_text(encoding="utf-8").strip() != period:
        raise Refused(
            f"De database in {runtime.data_dir} bevat een demo van een andere periode "
            f"({marker.read_text(encoding='utf-8').strip()}); deze demo is {period}. Gebruik "
            "een lege datamap (--data-dir) of verwijder de oude."
        )
    marker.write_text(period + "\n", encoding="utf-8")


def _write_missing_budgets(runtime: App, manifest: dict) -> list[Path]:
    """A primitive budget for every demo year that config/ has none for.

    The demo plays on any date; its municipality needs a budget for each year it
    shows. Files a person wrote are never touched; written ones say so on top.
    """
    folder = runtime.config_dir / "begroting"
    code = manifest["gemeente"]
    naam = runtime.config.gemeente(code).naam
    written = []
    for year, amounts in sorted(manifest.get("begrotingen_cents", {}).items()):
        path = folder / f"{code}-{year}.yaml"
        if path.exists():
            continue
        lines = [
            GENERATED + naam,
            "# (jaarrekening twee jaar eerder + indexatie + verwachte groei); pas gerust aan.",
            f'gemeente: "{code}"',
            f"jaar: {year}",
            "versies:",
            '  - versie: "primitieve begroting"',
            f"    vastgesteld_op: {int(year) - 1}-11-01",
            "    bedragen:",
            *(f"      {perceel}: {cents // 100}" for perceel, cents in amounts.items()),
            "prognose_correcties: []",
        ]
        folder.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(path)
    return written


def _budget_reports(runtime: App, snapshot: Snapshot) -> list[tuple[str, Path]]:
    """Print the cycle's budget table (what `report budget` shows next) and write it to files."""
    from monitorbot.report import budget_table

    report = snapshot.begroting
    console.print()
    console.print(budget_table.to_table(report), markup=False, end="")
    folder = runtime.data_path(runtime.config.deployment.rapporten)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"begroting-{DEMO_GEMEENTE}-{report.jaar}"
    files = [
        ("begroting:", folder / f"{stem}.xlsx"),
        ("", folder / f"{stem}.csv"),
        ("", folder / f"{stem}.md"),
    ]
    budget_table.to_xlsx(report, files[0][1])
    files[1][1].write_text(budget_table.to_csv(report), encoding="utf-8")
    files[2][1].write_text(budget_table.to_markdown(report), encoding="utf-8")
    return files


def demo_moment(as_of: date, tijdzone: str) -> datetime:
    """07:00 local time on the demo's day: when the monthly cycle runs."""
    return datetime.combine(as_of, time(7), ZoneInfo(tijdzone)).astimezone(UTC)


def _evaluate_and_notify(
    runtime: App, peildatum: Peildatum, moment: datetime
) -> tuple[Snapshot, bool]:
    """The monthly cycle on the demo's day: rules, the kernteam message, the digest.

    Messages go to the console and to whatever Slack, Teams or e-mail is
    configured on this machine; the rest is named, not failed.
    """
    from monitorbot.notify.channels import ConfiguredHere
    from monitorbot.service.cycle import evaluate_and_notify

    config, settings = runtime.config, runtime.settings
    configured = ConfiguredHere(settings, config.deployment)

    rules = runtime.rules()
    console.print()
    console.rule("Signaleringen en berichten (maandcyclus)")
    result = evaluate_and_notify(
        runtime.engine(),
        config,
        settings,
        runtime.forecast_spec(),
        rules,
        DEMO_GEMEENTE,
        now=moment,
        peildatum=peildatum,
        digest=True,
        only=configured,
    )
    firing = result.evaluation.firing
    console.print(
        f"{len(rules.voor(DEMO_GEMEENTE))} regels geëvalueerd: {len(firing)} signalering(en) "
        f"actief, {result.queued} bericht(en) klaargezet."
    )
    if result.queued == 0:
        console.print("Niets nieuws te melden: deze maandcyclus is al eerder gemeld.")
    print_delivery(None, result.delivery, skipped=configured.overgeslagen)
    return result.evaluation.snapshot, result.delivery.ok


#: The demo's console account: a controller of Demodorp, a new password every run.
DEMO_ACCOUNT = "demo"


def _demo_account(runtime: App, now: datetime, gemeenten: list[str] | None = None) -> str:
    """Create (or renew) the demo's console login, a controller of Demodorp (or of every
    gemeente in `gemeenten`); its password, for the demo's summary."""
    import secrets

    from monitorbot.core.states import Rol
    from monitorbot.store import db
    from monitorbot.store.queries.accounts import account
    from monitorbot.web.accounts import create, set_password, set_role

    password = secrets.token_urlsafe(12)
    with db.transaction(runtime.engine()) as session:
        if account(session, DEMO_ACCOUNT) is None:
            create(session, DEMO_ACCOUNT, password, now, door="demo")
        else:
            set_password(session, DEMO_ACCOUNT, password, door="demo", now=now)
        for gemeente in gemeenten or [DEMO_GEMEENTE]:
            set_role(
                session, DEMO_ACCOUNT, Rol.CONTROLLER, gemeente, grant=True, door="demo", now=now
            )
    return password


def run_demo(runtime: App, *, seed: int, scenario: str, vandaag: date) -> None:
    from monitorbot.cli.ingest_cmd import print_report
    from monitorbot.cli.report_cmd import write_snapshot_reports
    from monitorbot.core.calendar import Peildatum
    from monitorbot.store import db
    from monitorbot.store.sync import sync_config

    started = perf_counter()
    config = runtime.config
    if DEMO_GEMEENTE not in config.gemeenten:
        err_console.print(
            f"De demogemeente {DEMO_GEMEENTE} staat niet in {runtime.config_dir}/"
            "gemeenten; gebruik de meegeleverde config/ map."
        )
        raise typer.Exit(EXIT_USAGE)
    engine = runtime.engine()
    console.print(f"[bold]monitorbot demo[/] — Demodorp ({DEMO_GEMEENTE}), scenario {scenario}")
    console.print(
        f"Database: {engine.url.render_as_string(hide_password=True)} "
        f"(schema {db.current_revision(engine)})"
    )

    folder, manifest = _demo_input(runtime, seed, scenario, vandaag)
    console.print(f"Invoer gegenereerd in {folder}:")
    _print_counts(manifest.get("counts", {}))
    for path in _write_missing_budgets(runtime, manifest):
        console.print(f"Begroting voor de demo geschreven: {path}", markup=False)
    config = runtime.reload_config()

    with db.transaction(engine) as session:
        summary = sync_config(session, config)
    console.print(
        f"Configuratie: {summary.gemeenten} gemeente(n), {summary.percelen} percelen, "
        f"{summary.begrotingen} begroting(en) uit {runtime.config_dir}"
    )

    as_of = date.fromisoformat(manifest["as_of"])
    moment = demo_moment(as_of, config.deployment.tijdzone)
    console.print(
        f"De demo speelt zich af op {as_of:%d-%m-%Y} (de maandcyclus van die dag); de data "
        f"lopen tot en met {manifest['period'][1]}. Inlezen met een vaste demosleutel voor de "
        "pseudoniemen (alleen voor deze fictieve data; echte data vereisen "
        "MONITORBOT_PSEUDONYM_KEY)."
    )
    ingestor = runtime.ingestor(demo=True, sync=False, clock=lambda: moment)
    inputs = [folder / name for name in DEMO_INPUT_FOLDERS if (folder / name).exists()]
    report = ingestor.run(inputs, job="demo-ingest")
    print_report(report, per_file=False)
    planted = [d for d in manifest.get("dirty", []) if d["detail"].get("verwacht") == "afkeuren"]
    if planted:
        console.print(
            f"({len(planted)} geweigerd bestand is bewust fout in de demo gezet: "
            "zo ziet een afgekeurd bericht eruit.)"
        )

    # One snapshot for everything the cycle shows: messages, digest, table, workbook, page.
    snapshot, delivered = _evaluate_and_notify(runtime, Peildatum.op(as_of), moment)
    report_files = _budget_reports(runtime, snapshot)
    xlsx, page = write_snapshot_reports(
        snapshot, runtime.data_path(config.deployment.rapporten), made=moment
    )
    report_files = [("werkboek:", xlsx), ("rapport:", page), *report_files]

    quarantine = runtime.data_path(config.deployment.quarantaine)
    console.print()
    console.print(f"Klaar in {perf_counter() - started:.1f} s. Waar alles staat:")
    console.print(f"  database:     {engine.url.render_as_string(hide_password=True)}")
    console.print(f"  invoer:       {folder}")
    console.print(f"  quarantaine:  {quarantine} (geweigerde bestanden met .error.txt)")
    for label, path in report_files:
        console.print(f"  {label:<13} {path}")
    console.print("  bevindingen:  monitorbot findings --gemeente " + DEMO_GEMEENTE)
    password = _demo_account(runtime, moment)
    console.print(
        "  webconsole:   monitorbot web, dan http://127.0.0.1:8080/ "
        f"(account {DEMO_ACCOUNT}, wachtwoord {password})",
        markup=False,
    )
    if not delivered:
        err_console.print("Niet alle berichten zijn bezorgd (zie 'mislukt' hierboven).")
        raise typer.Exit(EXIT_REJECTED)


def _region_inputs(runtime: App, seed: int, vandaag: date) -> list[tuple[Path, dict]]:
    """Every member's input, generated in a process per core, or reused where it is there."""
    import multiprocessing
    import os
    from concurrent.futures import ProcessPoolExecutor

    from monitorbot.demo.regio import LEDEN

    root = runtime.data_dir / "demo" / f"regio-{seed}-{vandaag.isoformat()}"
    folders = [root / lid.map for lid in LEDEN]
    workers = max(1, min(os.cpu_count() or 1, len(LEDEN)))
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        manifests = list(
            pool.map(
                _generated,
                folders,
                [seed] * len(LEDEN),
                [lid.scenario for lid in LEDEN],
                [vandaag] * len(LEDEN),
                [lid.code for lid in LEDEN],
            )
        )
    return list(zip(folders, manifests, strict=True))


def _check_demo_region(runtime: App) -> None:
    """The region and its members must be configured as the shipped config/ has them."""
    from monitorbot.demo.regio import DEMOREGIO, LEDEN

    config = runtime.config
    wanted = {lid.code for lid in LEDEN}
    if DEMOREGIO not in config.regios or set(config.regios[DEMOREGIO].leden) != wanted:
        err_console.print(
            f"De demoregio staat niet (zo) in {runtime.config_dir}/regio/{DEMOREGIO}.yaml "
            f"met de leden {', '.join(sorted(wanted))}; gebruik de meegeleverde config/ map."
        )
        raise typer.Exit(EXIT_USAGE)


def run_regio_demo(runtime: App, *, seed: int, vandaag: date) -> None:
    """The demo region end to end: generate, ingest, every member's cycle, the region."""
    from monitorbot.cli.ingest_cmd import print_report
    from monitorbot.cli.regio_cmd import run_regio_cycle
    from monitorbot.core.calendar import Peildatum
    from monitorbot.demo.regio import DEMOREGIO, LEDEN
    from monitorbot.report import regio_table
    from monitorbot.store import db
    from monitorbot.store.sync import sync_config

    started = perf_counter()
    _check_demo_region(runtime)
    engine = runtime.engine()
    regio = runtime.config.regio(DEMOREGIO)
    console.print(f"[bold]monitorbot demo --regio[/] — {regio.naam}, {len(LEDEN)} gemeenten")
    console.print(
        f"Database: {engine.url.render_as_string(hide_password=True)} "
        f"(schema {db.current_revision(engine)})"
    )
    inputs = _region_inputs(runtime, seed, vandaag)
    _same_period(runtime, seed, "standaard", inputs[0][1])
    root = inputs[0][0].parent
    console.print(f"Invoer gegenereerd in {root} ({perf_counter() - started:.0f} s):", markup=False)
    for _, manifest in inputs:
        counts = manifest.get("counts", {})
        lines = counts.get("declaratieregels", {})
        naam = runtime.config.gemeente(manifest["gemeente"]).naam
        written = _write_missing_budgets(runtime, manifest)
        budgets = (
            f"; begroting {', '.join(p.stem[-4:] for p in written)} geschreven" if written else ""
        )
        console.print(
            f"  {naam} ({manifest['gemeente']}): {sum(lines.values())} declaratieregels, "
            f"{sum(counts.get('berichten', {}).values())} berichten{budgets}",
            markup=False,
        )
    config = runtime.reload_config()
    with db.transaction(engine) as session:
        summary = sync_config(session, config)
    console.print(
        f"Configuratie: {summary.gemeenten} gemeenten, {summary.percelen} percelen, "
        f"{summary.begrotingen} begrotingen uit {runtime.config_dir}"
    )

    as_of = date.fromisoformat(inputs[0][1]["as_of"])
    moment = demo_moment(as_of, config.deployment.tijdzone)
    ingest_started = perf_counter()
    ingestor = runtime.ingestor(demo=True, sync=False, clock=lambda: moment)
    folders = [f / name for f, _ in inputs for name in DEMO_INPUT_FOLDERS if (f / name).exists()]
    report = ingestor.run(folders, job="demo-ingest")
    print_report(report, per_file=False)
    console.print(f"Ingelezen in {perf_counter() - ingest_started:.0f} s.")

    console.print()
    console.rule("Maandcyclus van de regio")
    result = run_regio_cycle(
        runtime, DEMOREGIO, Peildatum.op(as_of), moment, skip_unconfigured=True
    )
    folder = runtime.data_path(config.deployment.rapporten)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    if result.snapshot is not None:
        stem = result.snapshot.stem
        files = [folder / f"{stem}.xlsx", folder / f"{stem}.csv", folder / f"{stem}.md"]
        regio_table.to_xlsx(result.snapshot, files[0])
        files[1].write_text(regio_table.to_csv(result.snapshot), encoding="utf-8")
        files[2].write_text(regio_table.to_markdown(result.snapshot), encoding="utf-8")
    password = _demo_account(runtime, moment, [lid.code for lid in LEDEN])
    console.print()
    console.print(f"Klaar in {perf_counter() - started:.0f} s. Waar alles staat:")
    console.print(f"  database:     {engine.url.render_as_string(hide_password=True)}")
    console.print(f"  invoer:       {inputs[0][0].parent}", markup=False)
    for path in files:
        console.print(f"  regiotabel:   {path}", markup=False)
    console.print(
        f"  opnieuw:      monitorbot regio tabel --regio {DEMOREGIO} --as-of {as_of.isoformat()}",
        markup=False,
    )
    console.print(
        "  webconsole:   monitorbot web, dan http://127.0.0.1:8080/ "
        f"(account {DEMO_ACCOUNT}, wachtwoord {password})",
        markup=False,
    )
    if result.mislukt or result.bezorging.permanent or any(m.niet_bezorgd for m in result.leden):
        err_console.print("Niet elke gemeente is geëvalueerd of bezorgd (zie hierboven).")
        raise typer.Exit(EXIT_REJECTED)
