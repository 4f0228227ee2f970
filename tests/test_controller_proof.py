"""Controller-proof: what a controller or admin gets wrong is refused with where and why,
never turned into a wrong figure."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from monitorbot.cli.app import app
from monitorbot.config import load_config
from monitorbot.core.calendar import Peildatum
from monitorbot.core.states import Niveau
from monitorbot.evaluate.metrics import MetricContext, begroting_ontbreekt
from monitorbot.forecast.results import Interval, PerceelPrognose

runner = CliRunner()
REPO = Path(__file__).resolve().parents[1]


def cli(config_dir: Path, data_dir: Path, *args: str):
    return runner.invoke(app, ["--config-dir", str(config_dir), "--data-dir", str(data_dir), *args])


# --------------------------------------------------------------------------- no basis


def test_a_report_of_a_year_without_begroting_is_refused(config_dir, tmp_path):
    result = cli(
        config_dir, tmp_path / "data", "report", "budget", "--gemeente", "9999", "--year", "2031"
    )
    assert result.exit_code == 2
    assert "geen begroting 2031 voor gemeente 9999" in result.output
    assert "config/begroting/9999-2031.yaml" in result.output
    assert "2024, 2025, 2026" in result.output
    assert not (tmp_path / "data").exists()  # refused before anything was opened


def test_a_row_without_budget_has_restant_and_v_n_like_every_row():
    settlement = PerceelPrognose(
        "afrekening-vorig-jaar",
        "Afrekening",
        "totaal",
        Niveau.PERCEEL,
        model=Interval.exact(12_345_600),
    )
    assert settlement.restant_cents == -12_345_600
    assert settlement.v_n == "N"
    assert settlement.afwijking is None  # a percentage of nothing is not a figure
    assert PerceelPrognose("x", "x", "jeugd", Niveau.PERCEEL).restant_cents is None
    # A sub-perceel is budgeted in its parent: no restant of its own.
    ambulant = PerceelPrognose(
        "jeugd-ambulant",
        "Jeugd ambulant",
        "jeugd",
        Niveau.ONDERDEEL,
        model=Interval.exact(3_245_000_00),
    )
    assert (ambulant.restant_cents, ambulant.v_n) == (None, "")


def _missing(config_dir: Path, peildatum: str) -> float:
    config = load_config(config_dir)
    context = MetricContext(None, config, None, "9999", Peildatum.parse(peildatum))  # type: ignore[arg-type]
    (measurement,) = begroting_ontbreekt(context, "gemeente")
    return measurement.waarde


def test_a_year_without_adopted_begroting_is_one_configuration_alert(config_dir):
    assert _missing(config_dir, "2026-10") == 0.0
    assert _missing(config_dir, "2031-03") == 1.0
    # The 2026 budget was adopted on 6 November 2025: before then it was not known.
    assert _missing(config_dir, "2026-01") == 0.0
    budget = config_dir / "begroting" / "9999-2026.yaml"
    text = budget.read_text(encoding="utf-8")
    budget.write_text(
        text.replace("vastgesteld_op: 2025-11-06", "vastgesteld_op: 2026-02-12"), encoding="utf-8"
    )
    assert _missing(config_dir, "2026-01") == 1.0


# --------------------------------------------------------------------------- config check


def _edit(file: Path, old: str, new: str) -> int:
    text = file.read_text(encoding="utf-8")
    assert old in text
    file.write_text(text.replace(old, new, 1), encoding="utf-8")
    before = text[: text.index(old)]
    return before.count("\n") + 1


def _folders(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    import shutil

    alerts, forecasts = tmp_path / "alerts", tmp_path / "forecasts"
    shutil.copytree(REPO / "alerts", alerts)
    shutil.copytree(REPO / "forecasts", forecasts)
    monkeypatch.setenv("MONITORBOT_ALERTS_DIR", str(alerts))
    monkeypatch.setenv("MONITORBOT_FORECASTS_DIR", str(forecasts))
    return alerts, forecasts


def test_config_check_checks_alerts_and_forecasts_too(config_dir, tmp_path, monkeypatch):
    alerts, forecasts = _folders(tmp_path, monkeypatch)
    ok = cli(config_dir, tmp_path / "data", "config", "check")
    assert ok.exit_code == 0, ok.output
    assert "28 signaleringsregels" in ok.output
    rule_line = _edit(
        alerts / "standaard.yaml", 'waarschuwing: "> 5 %"', 'waarschuwing: "> 5 dagen"'
    )
    spec = next(forecasts.glob("*.yaml"))
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text + "onbekende_sleutel: 1\n", encoding="utf-8")
    result = cli(config_dir, tmp_path / "data", "config", "check")
    assert result.exit_code == 2
    assert f"standaard.yaml:{rule_line - 1}: regels[6].drempels:" in result.output  # its key
    assert "is in dagen, maar groei_boven_begroting_pct is in procent" in result.output
    assert f"{spec.name}:{text.count(chr(10)) + 1}: onbekende_sleutel" in result.output


def test_the_service_rechecks_after_an_edit_and_keeps_the_last_valid_config(
    config_dir, tmp_path, monkeypatch, caplog
):
    from monitorbot.app import make_app
    from monitorbot.service.scheduler import Service

    alerts, _ = _folders(tmp_path, monkeypatch)
    service = Service(make_app(config_dir, tmp_path / "data"))
    assert service.check_configuration() == []
    assert service.check_configuration() == []  # nothing changed: nothing read
    # A broken rule file next to a valid edit of config/: neither applies.
    _edit(alerts / "standaard.yaml", "kanaal: kernteam", "kanaal: kerntaem")
    _edit(config_dir / "gemeenten" / "9999-demodorp.yaml", "naam: Demodorp", "naam: Nieuwdorp")
    (alerts / "extra.yml").write_text("regels: []\n", encoding="utf-8")  # .yml is read too
    with caplog.at_level("ERROR", logger="monitorbot.service"):
        problems = service.check_configuration()
    assert len(problems) == 1 and "onbekend kanaal 'kerntaem'" in problems[0]
    assert "standaard.yaml" in caplog.records[0].probleem
    assert service.config.gemeente("9999").naam == "Demodorp"  # still running on what was valid
    assert len(service._rules().rules) == 28  # the last valid rules, not a failing job
    # Fixed: everything applies at once.
    _edit(alerts / "standaard.yaml", "kanaal: kerntaem", "kanaal: kernteam")
    assert service.check_configuration() == []
    assert service.config.gemeente("9999").naam == "Nieuwdorp"
    (alerts / "extra.yml").write_text("regels: [oops\n", encoding="utf-8")
    assert any("extra.yml" in p for p in service.check_configuration())


# --------------------------------------------------------------------------- --gemeente


def _commands_with_gemeente() -> list[list[str]]:
    import click
    import typer

    root = typer.main.get_command(app)
    found: list[list[str]] = []

    def walk(command: click.Command, path: list[str]) -> None:
        if hasattr(command, "list_commands"):
            context = click.Context(command)
            for name in command.list_commands(context):
                walk(command.get_command(context, name), [*path, name])
        elif any(p.name == "gemeente" for p in command.params):
            found.append(path)

    walk(root, [])
    return found


def test_every_command_refuses_an_unknown_gemeente_the_same_way(config_dir, tmp_path):
    commands = _commands_with_gemeente()
    assert ["report", "aanbieders"] in commands and ["backtest"] in commands
    assert len(commands) >= 15
    for command in commands:
        result = cli(config_dir, tmp_path / "data", *command, "--gemeente", "0000")
        assert result.exit_code == 2, (command, result.output)
        known = "bekend: 9991, 9992, 9993, 9994, 9995, 9996, 9999"
        assert f"--gemeente '0000' is niet geconfigureerd; {known}" in result.output, command
        assert "Traceback" not in result.output


# --------------------------------------------------------------------------- pseudonym key


def test_another_pseudonym_key_on_a_filled_database_is_refused(config_dir, tmp_path, monkeypatch):
    from sqlalchemy import create_engine, text

    from tests.messages import declaration_323
    from tests.test_ingest_pipeline import BSN_A

    inbox = tmp_path / "in"
    inbox.mkdir()
    (inbox / "a.xml").write_bytes(declaration_323(prestaties=[dict(bsn=BSN_A, ref="R1", volume=2)]))
    data = tmp_path / "data"
    first_key, second_key = "de-eerste-sleutel-lang-genoeg", "een-tweede-sleutel-lang-genoeg"
    monkeypatch.setenv("MONITORBOT_PSEUDONYM_KEY", first_key)
    assert cli(config_dir, data, "ingest", str(inbox)).exit_code == 0
    monkeypatch.setenv("MONITORBOT_PSEUDONYM_KEY", second_key)
    (inbox / "b.xml").write_bytes(
        declaration_323(prestaties=[dict(bsn=BSN_A, ref="R2", volume=3)], ident="D2")
    )
    refused = cli(config_dir, data, "ingest", str(inbox / "b.xml"))
    assert refused.exit_code == 2
    assert "andere sleutel dan die waarmee deze database gevuld is" in refused.output
    assert "monitorbot db opnieuw-inlezen --naar" in refused.output
    service = cli(config_dir, data, "run", "--eenmalig")
    assert service.exit_code == 2 and "andere sleutel" in service.output  # refused at start
    assert second_key not in refused.output and first_key not in refused.output
    engine = create_engine(f"sqlite:///{data / 'monitorbot.db'}")
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT waarde FROM instelling")).scalar_one()
        lines = connection.execute(text("SELECT COUNT(*) FROM declaratieregel")).scalar_one()
    assert len(stored) == 16 and stored not in first_key
    assert lines == 1  # nothing of b.xml was read under the other key

    # Rotating the key is one command: the archive into a new database, under the new key.
    archive = tmp_path / "archief"
    archive.mkdir()
    for name in ("a.xml", "b.xml"):
        (archive / name).write_bytes((inbox / name).read_bytes())
    new_url = f"sqlite:///{tmp_path / 'nieuw.db'}"
    moved = cli(
        config_dir, data, "db", "opnieuw-inlezen", "--naar", new_url, "--archief", str(archive)
    )
    assert moved.exit_code == 0, moved.output
    assert "2 bestand(en), 0 geweigerd" in moved.output
    again = cli(
        config_dir, data, "db", "opnieuw-inlezen", "--naar", new_url, "--archief", str(archive)
    )
    assert again.exit_code == 2 and "is niet leeg" in again.output
    with create_engine(new_url).connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM declaratieregel")).scalar_one() == 2
        assert connection.execute(text("SELECT waarde FROM instelling")).scalar_one() != stored


# --------------------------------------------------------------------------- Dutch for people


def test_the_command_lines_own_texts_are_dutch(config_dir, tmp_path):
    """--help, usage and errors: nothing of typer's English reaches a person."""
    english = (
        "Show this message",
        "Usage:",
        "Options",
        "Commands",
        "Error",
        "Try '",
        "No such option",
        "Missing option",
        "Invalid value",
        "required",
        "default:",
    )
    helped = cli(config_dir, tmp_path, "report", "budget", "--help")
    assert helped.exit_code == 0
    assert "Toon deze hulp en stop." in helped.output and "Gebruik: " in helped.output
    assert "[verplicht]" in helped.output and "[standaard: table]" in helped.output
    cases = {
        ("report", "budget", "--bla"): "Onbekende optie: --bla",
        ("report", "budget"): "Verplichte optie '--gemeente' ontbreekt.",
        (
            "report",
            "budget",
            "--gemeente",
            "9999",
            "--year",
            "x",
        ): "Ongeldige waarde voor '--year': verwacht een geheel getal",
        (
            "alerts",
            "list",
            "--gemeente",
            "9999",
            "--status",
            "x",
        ): "'x' is geen mogelijke keuze; kies uit 'actief', 'in-afwachting', 'opgelost'",
        (
            "report",
            "budget",
            "--gemeente",
            "9999",
            "--year",
            "2026",
            "extra",
        ): "Onverwacht extra argument: extra",
    }
    for args, dutch_text in cases.items():
        result = cli(config_dir, tmp_path, *args)
        assert result.exit_code == 2, args
        text = " ".join(result.output.replace("│", " ").split())
        assert dutch_text in text, (args, text)
        assert "Zie 'monitorbot" in text and "Fout" in text
        for word in english:
            assert word not in result.output, (args, word)
    for word in english:
        assert word not in helped.output, word


def test_a_language_without_texts_is_refused_not_ignored(config_dir, tmp_path):
    settings = config_dir / "monitorbot.yaml"
    line = _edit(settings, "taal: nl", "taal: en")
    result = cli(config_dir, tmp_path / "data", "config", "check")
    assert result.exit_code == 2
    assert f"monitorbot.yaml:{line}: taal: waarde 'en': alleen 'nl' bestaat" in " ".join(
        result.output.split()
    )


# --------------------------------------------------------------------------- ranges


def test_the_readme_lists_every_range_the_checks_enforce():
    from monitorbot.cli.config_cmd import ranges_table

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    listed = readme.split("<!-- bereiken:begin -->\n")[1].split("<!-- bereiken:end -->")[0]
    assert listed == ranges_table()


def test_every_number_a_person_writes_has_a_range():
    """No int or float field in config, rules or forecasts without bounds."""
    from pydantic import BaseModel

    from monitorbot.cli.config_cmd import number_ranges
    from monitorbot.config.models import Begroting, Deployment, GemeenteConfig
    from monitorbot.evaluate.rules import Rule
    from monitorbot.forecast.spec import ForecastSpec

    bounded = {key.removesuffix(".*") for _, key, _, _ in number_ranges()}
    unbounded = []

    numbers = (int, float, int | None, float | None)

    def walk(model: type[BaseModel], prefix: str) -> None:
        for name, field in model.model_fields.items():
            key = f"{prefix}{name}"
            for candidate in (field.annotation, *getattr(field.annotation, "__args__", ())):
                if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                    walk(candidate, f"{key}.")
            if field.annotation in numbers and key not in bounded:
                unbounded.append(f"{model.__name__}.{name}")

    for model in (Deployment, GemeenteConfig, Begroting, ForecastSpec, Rule):
        walk(model, "")
    assert unbounded == []


def test_out_of_range_numbers_are_refused_not_crashes_later(config_dir, tmp_path):
    settings = config_dir / "monitorbot.yaml"
    _edit(settings, "hoge_kosten_grens: 250000", "hoge_kosten_grens: 1e400")
    _edit(settings, "inbox_scan_minuten: 5", "inbox_scan_minuten: 1.0e+26")
    result = cli(config_dir, tmp_path / "data", "config", "check")
    output = " ".join(result.output.split())
    assert result.exit_code == 2
    assert "hoge_kosten_grens: waarde '1e400'" in output
    assert "planning.inbox_scan_minuten: waarde 1e+26" in output and "1440" in output


# --------------------------------------------------------------------------- alerts follow facts


def test_a_corrected_file_resolves_its_quarantine(engine, config_dir, tmp_path):
    """The file offered again in corrected form is dealt with: no alert, no digest line."""
    from datetime import UTC, datetime

    from monitorbot.core.privacy import DEMO_KEY, Pseudonymizer
    from monitorbot.ingest.pipeline import Destinations, Ingestor
    from monitorbot.store import db
    from monitorbot.store.queries.quality import rejected_files
    from monitorbot.store.sync import sync_config
    from tests.messages import declaration_323
    from tests.test_ingest_pipeline import BSN_A

    config = load_config(config_dir)
    with db.transaction(engine) as session:
        sync_config(session, config)
    now = [datetime(2026, 11, 3, 9, tzinfo=UTC)]
    ingestor = Ingestor(
        engine,
        config,
        pseudonymize=Pseudonymizer(DEMO_KEY),
        destinations=Destinations(quarantine=tmp_path / "q", archive=tmp_path / "a", move=False),
        clock=lambda: now[0],
    )
    good = declaration_323(prestaties=[dict(bsn=BSN_A, ref="R1", volume=2)])
    broken = good.replace(b"<Prestatie>", b"<Onbekend/><Prestatie>", 1)  # schema-invalid
    assert broken != good
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "decl.xml").write_bytes(broken)
    assert ingestor.run([folder / "decl.xml"]).geweigerd == 1
    now[0] = datetime(2026, 11, 5, 9, tzinfo=UTC)
    (folder / "decl.xml").write_bytes(good)
    assert ingestor.run([folder / "decl.xml"]).geweigerd == 0

    def rejected(before: datetime) -> list[bool]:
        with db.transaction(engine) as session:
            return [f.hersteld for f in rejected_files(session, "9999", before=before)]

    assert rejected(datetime(2026, 11, 4, tzinfo=UTC)) == [False]  # as known before the fix
    assert rejected(datetime(2026, 11, 30, tzinfo=UTC)) == [True]


def test_config_check_names_every_mistake_of_the_issue_in_one_pass(
    config_dir, tmp_path, monkeypatch
):
    """A copy of config/ with the mistakes controllers make: each with file, line and key."""
    alerts, _ = _folders(tmp_path, monkeypatch)
    budget = config_dir / "begroting" / "9999-2026.yaml"
    pgb_line = _edit(budget, "jeugd-pgb: ", "jeugd-pgb: 17.000  # was: ")
    rule_line = _edit(alerts / "standaard.yaml", 'waarschuwing: "< -5 %"', 'waarschuwing: "> 5 %"')
    taal_line = _edit(config_dir / "monitorbot.yaml", "taal: nl", "taal: en")
    result = cli(config_dir, tmp_path / "data", "config", "check")
    output = " ".join(result.output.replace("│", " ").split())
    assert result.exit_code == 2
    assert "Configuratie bevat 3 fout(en)" in output
    assert f"9999-2026.yaml:{pgb_line}: versies[0].bedragen.jeugd-pgb: waarde '17.000'" in output
    assert f"standaard.yaml:{rule_line - 1}: regels[0].drempels:" in output
    assert "meldt een hoge waarde" in output
    assert f"monitorbot.yaml:{taal_line}: taal:" in output
